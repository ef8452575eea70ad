import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';

/**
 * The Fastify settings every Shardstore HTTP server shares. Transfers last as long as the peer
 * takes (a 10 GiB upload over a slow link), so there is no whole-request timeout; a socket that
 * stays silent for `idleTimeoutMs` is closed instead, and headers must arrive within 10 s. Headers
 * are capped at Node's 16 KiB (431 beyond). Request lines come from the access log.
 */
export function createHttpServer(log: Logger, idleTimeoutMs: number, genReqId?: () => string): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only bridges the two packages' declarations.
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 0,
    connectionTimeout: idleTimeoutMs,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    ...(genReqId ? { genReqId } : {}),
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: false },
    serverFactory: (handler) =>
      createServer(
        {
          // Slowloris: a client must finish its request line and headers within this; Node only checks
          // every `connectionsCheckingInterval`, 30 s unless told otherwise.
          headersTimeout: Math.min(idleTimeoutMs, 10_000),
          requestTimeout: 0,
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  }) as unknown as FastifyInstance;
  // Headers and a small body go out as separate writes; with Nagle on, the second waits for the
  // peer's delayed ACK (~40 ms), which made every small GET take that long.
  app.server.on('connection', (socket) => socket.setNoDelay(true));
  return app;
}
