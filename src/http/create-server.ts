import type { ServerResponse } from 'node:http';
import { http, https } from '../platform/node-http.js';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';
import { isBeingDiscarded } from './discard-body.js';

/**
 * How long an idle keep-alive connection stays open, announced to clients in `Keep-Alive: timeout=65`.
 * Longer than the 60 s idle timeout of common load balancers, so the peer closes first, never us under it.
 */
export const KEEP_ALIVE_MS = 65_000;

/**
 * The Fastify settings every Shardstore HTTP server shares. Transfers last as long as the peer
 * takes (a 10 GiB upload over a slow link), so there is no whole-request timeout; a socket that
 * stays silent for `idleTimeoutMs` is closed instead, and headers must arrive within 10 s. Headers
 * are capped at Node's 16 KiB (431 beyond). Request lines come from the access log.
 */
/**
 * HTTPS instead of HTTP: the certificate and key, and for peers' certificates the CA and whether a client
 * must present one (a node's listener) or may (the gateway's, where nodes register but browsers come too).
 */
export interface ServerTls extends Pick<SecureContextOptions, 'cert' | 'key' | 'ca'> {
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
}

export function createHttpServer(log: Logger, idleTimeoutMs: number, genReqId?: () => string, tls?: ServerTls): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only bridges the two packages' declarations.
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 0,
    return503OnClosing: true,
    ...(genReqId ? { genReqId } : {}),
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: false },
    serverFactory: (handler) => {
      const limits = {
        // Slowloris: a client must finish its request line and headers within this; Node only checks
        // every `connectionsCheckingInterval`, 30 s unless told otherwise.
        headersTimeout: Math.min(idleTimeoutMs, 10_000),
        requestTimeout: 0,
        connectionsCheckingInterval: 1000,
      };
      const server = tls ? https().createServer({ ...limits, ...tls }, handler) : http.createServer(limits, handler);
      // Fastify applies connectionTimeout and keepAliveTimeout only to servers it makes itself; with a
      // serverFactory they were silently Node's defaults (no idle limit, 5 s keep-alive), so a stalled
      // upload was never cut off and clients lost the race for sockets closed after 5 s.
      server.setTimeout(idleTimeoutMs);
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      server.on('timeout', closeUnlessServerIsWorking);
      return server;
    },
  }) as unknown as FastifyInstance;
  // Headers and a small body go out as separate writes; with Nagle on, the second waits for the
  // peer's delayed ACK (~40 ms), which made every small GET take that long.
  app.server.on('connection', (socket) => socket.setNoDelay(true));
  // An answer given while the body is half read (413 past the size limit, 400 mid-stream, a node failure)
  // leaves the connection mid-body: Node drains a body only if nobody started reading it, and a body
  // whose reader was destroyed stops the socket for good, so the client's next request on the kept-alive
  // connection would hang. Such a connection is closed after the answer instead, as nginx does — unless
  // the handler has chosen to read the rest and drop it (discard-body.ts).
  app.addHook('onSend', (request, reply, payload, done) => {
    const body = request.raw;
    if (!body.complete && !isBeingDiscarded(body) && (body.readableDidRead || body.destroyed)) reply.header('connection', 'close');
    done(null, payload);
  });
  return app;
}

/**
 * The idle limit is for a peer that went silent: one that stopped sending its body, stopped reading our
 * answer, or holds an idle keep-alive connection. A request that has arrived whole and is still being
 * worked on (a dedupe pass, a large multipart completion) has nothing to send yet, so it is left alone;
 * the timer starts again with the first byte of its answer.
 */
function closeUnlessServerIsWorking(socket: Socket): void {
  // Node keeps the response in progress on its socket, untyped; between requests it is null.
  const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  const working = response != null && !response.headersSent && response.req.complete;
  if (!working) socket.destroy();
}
