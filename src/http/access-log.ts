import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HttpMetrics } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Payload bytes moved by the request (uploaded or downloaded), for the access log. */
    transferBytes: number;
    /**
     * The client's address, read when the request arrived: once a client has gone away its socket no
     * longer knows it, and an aborted upload is exactly when the logs need it.
     */
    client: string;
    /** performance.now() when the request arrived, for the duration of a request that never got a response. */
    receivedAt: number;
  }
}

/** The status the access log gives a request whose client closed the connection first (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * `routine` requests (heartbeats) log at debug level when they succeed.
 * One line per request with method, path, status, bytes and duration, like the path store's
 * `POST /images/ololo/file.jpg 201 0.57s`, as structured fields.
 */
export function registerAccessLog(app: FastifyInstance, routine: (method: string, path: string) => boolean = () => false, metrics?: HttpMetrics): void {
  app.decorateRequest('transferBytes', 0);
  app.decorateRequest('client', '');
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', async (request) => {
    request.client = request.ip;
    request.receivedAt = performance.now();
  });
  const line = (request: FastifyRequest, status: number, seconds: number) => {
    const path = request.url.split('?')[0];
    if (metrics) {
      // The router's pattern, not the path: one series per route, however many keys there are.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status: String(status) });
      metrics.duration.observe({ method: request.method, route }, seconds);
      if (request.transferBytes > 0) metrics.bytes.inc({ direction: request.method === 'GET' ? 'out' : 'in' }, request.transferBytes);
    }
    const level = status < 400 && routine(request.method, path ?? '') ? 'debug' : 'info';
    request.log[level](
      { method: request.method, path, status, bytes: request.transferBytes, duration: Number(seconds.toFixed(4)), client: request.client },
      `${request.method} ${path} ${status} ${seconds.toFixed(3)}s`,
    );
  };
  app.addHook('onResponse', async (request, reply) => line(request, reply.statusCode, reply.elapsedTime / 1000));
  // A client that goes away before its response was written (an upload cut off, a download abandoned)
  // gets no onResponse: without this it would leave no line at all.
  app.addHook('onRequestAbort', async (request) => line(request, CLIENT_CLOSED_REQUEST, (performance.now() - request.receivedAt) / 1000));
}
