import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Payload bytes moved by the request (uploaded or downloaded), for the access log. */
    transferBytes: number;
  }
}

/**
 * `routine` requests (heartbeats) log at debug level when they succeed.
 * One line per request with method, path, status, bytes and duration, like the user's
 * `POST /images/ololo/file.jpg 201 0.57s`, as structured fields.
 */
export function registerAccessLog(app: FastifyInstance, routine: (method: string, path: string) => boolean = () => false, metrics?: HttpMetrics): void {
  app.decorateRequest('transferBytes', 0);
  app.addHook('onResponse', async (request, reply) => {
    const seconds = reply.elapsedTime / 1000;
    const path = request.url.split('?')[0];
    if (metrics) {
      // The router's pattern, not the path: one series per route, however many keys there are.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      metrics.duration.observe({ method: request.method, route }, seconds);
      if (request.transferBytes > 0) metrics.bytes.inc({ direction: request.method === 'GET' ? 'out' : 'in' }, request.transferBytes);
    }
    const level = reply.statusCode < 400 && routine(request.method, path ?? '') ? 'debug' : 'info';
    request.log[level](
      { method: request.method, path, status: reply.statusCode, bytes: request.transferBytes, duration: Number(seconds.toFixed(4)) },
      `${request.method} ${path} ${reply.statusCode} ${seconds.toFixed(3)}s`,
    );
  });
}
