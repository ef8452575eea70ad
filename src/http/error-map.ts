import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { JobBusyError, MetadataUnavailableError, MethodNotAllowedError, RangeNotSatisfiableError, ShardstoreError, type ErrorCode } from '../core/errors.js';

/** The one place where domain errors become HTTP statuses for the JSON APIs. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_KEY: 400,
  INVALID_REQUEST: 400,
  INVALID_RANGE: 416,
  NOT_FOUND: 404,
  KEY_EXISTS: 405,
  NOT_ENOUGH_NODES: 503,
  SHARD_UNAVAILABLE: 503,
  CHECKSUM_MISMATCH: 503,
  UPLOAD_ABORTED: 400,
  UPLOAD_INCOMPLETE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  GONE: 410,
  INSUFFICIENT_STORAGE: 507,
  NODE_PROTOCOL: 502,
  METHOD_NOT_ALLOWED: 405,
  OBJECT_TOO_LARGE: 413,
  SCHEMA_TOO_OLD: 500,
  CONFIG_INVALID: 500,
  METADATA_UNAVAILABLE: 503,
  JOB_BUSY: 409,
  NODE_IN_USE: 409,
  LEASE_LOST: 409,
};

export const statusFor = (code: ErrorCode): number => STATUS[code];

export function sendError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ShardstoreError) {
    const status = STATUS[error.code];
    if (error.code === 'KEY_EXISTS') reply.header('allow', 'GET, HEAD');
    if (error instanceof MethodNotAllowedError) reply.header('allow', error.allow.join(', '));
    if (error instanceof RangeNotSatisfiableError) reply.header('content-range', `bytes */${error.size}`);
    if (error instanceof MetadataUnavailableError) reply.header('retry-after', String(error.retryAfter));
    else if (error instanceof JobBusyError) reply.header('retry-after', String(Math.max(1, Math.ceil((error.until - Date.now()) / 1000))));
    // An outage of the metadata store is logged once, by the store's watcher, not once per request.
    else if (status >= 500) request.log.error({ err: error }, error.message);
    return reply.code(status).send({ error: error.code, message: error.message });
  }
  const fastifyStatus = (error as FastifyError).statusCode;
  if (fastifyStatus !== undefined && fastifyStatus < 500) {
    return reply.code(fastifyStatus).send({ error: (error as FastifyError).code ?? 'BAD_REQUEST', message: error.message });
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the gateway log' });
}
