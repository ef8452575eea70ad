import { peerTransport, type PeerTls, type PeerTransport } from '../platform/peer-transport.js';
import type { Logger } from '../observability/logger.js';
import { bearer, REGISTER_PATH, type NodeReport } from '../node-protocol/protocol.js';

/**
 * Registers the node with the gateway and repeats the registration as a heartbeat, so a node started
 * at any time joins the running cluster, and the gateway sees fresh capacity, usage and shard counts.
 */
export function startHeartbeat(opts: {
  gateway: string;
  secret: string;
  intervalMs: number;
  report: () => NodeReport;
  log: Logger;
  /** The cluster's TLS: the node's certificate for the gateway, which must show one the cluster CA signed. */
  tls?: PeerTls | undefined;
}): { stop: () => void; registered: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let wasUp = false;
  let resolveRegistered!: () => void;
  const registered = new Promise<void>((r) => (resolveRegistered = r));
  const url = new URL(REGISTER_PATH, opts.gateway);
  // Kept alive: one TLS handshake, not one a second.
  const transport = peerTransport(url, opts.tls, { keepAlive: true, maxSockets: 1 });

  const beat = async () => {
    try {
      const res = await postJson(transport, url, bearer(opts.secret), JSON.stringify(opts.report()), 5000);
      if (res.status >= 300) throw new Error(`gateway answered ${res.status}: ${res.text}`);
      if (!wasUp) opts.log.info({ gateway: opts.gateway }, 'registered with the gateway');
      wasUp = true;
      resolveRegistered();
    } catch (error) {
      if (wasUp || !stopped) opts.log.warn({ gateway: opts.gateway, err: (error as Error).message }, 'heartbeat failed');
      wasUp = false;
    } finally {
      if (!stopped) timer = setTimeout(beat, opts.intervalMs);
    }
  };
  void beat();
  return {
    registered,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      transport.agent.destroy();
    },
  };
}

/**
 * One JSON POST with node:http rather than fetch: fetch loads undici, 6–7 MiB of resident memory in every
 * node for a request a second (see src/platform/node-http.ts).
 */
function postJson(transport: PeerTransport, url: URL, authorization: string, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = transport.request({
      agent: transport.agent,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}
