import type { FastifyRequest } from 'fastify';
import type { Caller } from '../objects/caller.js';

/** The request as the action log sees its caller: the client's address and the body bytes received. */
export const callerOf = (request: FastifyRequest): Caller => ({
  client: request.client || request.ip || null,
  bytesIn: () => request.transferBytes,
});
