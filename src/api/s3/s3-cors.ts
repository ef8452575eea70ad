import type { FastifyReply, FastifyRequest } from 'fastify';
import { corsHeaders, matchCorsRule } from '../../domain/cors-rules.js';
import type { Bucket } from '../../domain/records.js';
import { single } from './s3-headers.js';
import { S3Error } from './s3-error.js';

const notAllowed = () =>
  new S3Error('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');

/** The header names a preflight asks for, lower-case. */
const requestedHeaders = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');

/**
 * A CORS preflight (`OPTIONS` with Origin and Access-Control-Request-Method), answered from the bucket's
 * rules without a signature, as S3 does: 200 with the allowing rule's headers, else 403.
 */
export function answerPreflight(request: FastifyRequest, reply: FastifyReply, bucket: Bucket | undefined): FastifyReply {
  const origin = single(request.headers.origin);
  if (origin === undefined) throw new S3Error('BadRequest', 400, 'Insufficient information. Origin request header needed.');
  const method = single(request.headers['access-control-request-method']);
  if (method === undefined) throw new S3Error('BadRequest', 400, 'Invalid Access-Control-Request-Method: null');
  if (!bucket) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
  if (!bucket.cors) throw new S3Error('AccessForbidden', 403, 'CORSResponse: CORS is not enabled for this bucket.');
  const headers = requestedHeaders(single(request.headers['access-control-request-headers']));
  const rule = matchCorsRule(bucket.cors, origin, method, headers);
  if (!rule) throw notAllowed();
  reply.headers(corsHeaders(rule, origin));
  if (headers.length) reply.header('access-control-allow-headers', headers.join(', '));
  return reply.code(200).send();
}

/**
 * The CORS headers of an actual request from a page (it has an Origin) whose bucket has a rule for it;
 * errors carry them too, so that the page can read why it failed.
 */
export function addCorsHeaders(request: FastifyRequest, reply: FastifyReply, bucket: Bucket | undefined): void {
  const origin = single(request.headers.origin);
  if (origin === undefined || !bucket?.cors) return;
  const rule = matchCorsRule(bucket.cors, origin, request.method);
  if (rule) reply.headers(corsHeaders(rule, origin));
}
