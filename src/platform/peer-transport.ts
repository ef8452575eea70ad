import type { Agent, AgentOptions, ClientRequest, RequestOptions } from 'node:http';
import { http, https } from './node-http.js';

/** This process's certificate, presented to peers, and the cluster CA their certificates must chain to. */
export interface PeerTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Requests to one peer (a node, a gateway) by the scheme of its URL: plain HTTP, or HTTPS with the cluster's TLS. */
export interface PeerTransport {
  /** A keep-alive pool for the peer's requests. */
  readonly agent: Agent;
  /** A request; without `agent` in the options, on a connection of its own (an upgrade to the framed channel). */
  request(options: RequestOptions): ClientRequest;
}

/**
 * An `https:` peer is reached with this process's certificate (the peer may demand one) and checked against
 * the cluster CA alone — not the system's authorities, which would admit any publicly valid certificate —
 * and against the name or address in its URL. Without `tls`, an `https:` peer is checked against the
 * system's authorities.
 */
export function peerTransport(url: URL, tls: PeerTls | undefined, agentOptions: AgentOptions): PeerTransport {
  if (url.protocol !== 'https:') return { agent: new http.Agent(agentOptions), request: (options) => http.request(options) };
  const secure = https();
  const credentials = tls ? { cert: tls.cert, key: tls.key, ca: tls.ca } : {};
  return {
    agent: new secure.Agent({ ...agentOptions, ...credentials }),
    request: (options) => secure.request({ ...credentials, ...options, protocol: 'https:' }),
  };
}
