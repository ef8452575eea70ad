import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../core/errors.js';
import { hasBearer } from '../core/bearer.js';

/** Throws UnauthorizedError unless the request carries `Authorization: Bearer <secret>`. */
export function requireBearer(request: FastifyRequest, secret: string, what: string): void {
  if (!hasBearer(request.headers.authorization, secret)) {
    throw new UnauthorizedError(`this endpoint needs the ${what} as 'Authorization: Bearer <token>'`);
  }
}
