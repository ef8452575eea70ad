import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { UnauthorizedError } from '../../core/errors.js';
import { hasBearer } from '../../core/bearer.js';
import { hasConsoleSession } from '../../http/admin-auth.js';
import { refuseOtherMethods } from './job-routes.js';

/** `GET /_metrics` in Prometheus text format, for the admin token (or a console session) or the metrics-only token. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry, tokens: readonly string[]): void {
  app.get('/_metrics', async (request, reply) => {
    if (!tokens.some((t) => hasBearer(request.headers.authorization, t)) && !hasConsoleSession(request, tokens[0]!)) {
      throw new UnauthorizedError("this endpoint needs the admin or metrics token as 'Authorization: Bearer <token>'");
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  refuseOtherMethods(app, '/_metrics', ['GET'], tokens[0]!);
}
