import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { refuseOtherMethods } from './job-routes.js';

/** `GET /_metrics` in Prometheus text format (registered in a scope of the admin and metrics tokens). */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/_metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  refuseOtherMethods(app, '/_metrics', ['GET']);
}
