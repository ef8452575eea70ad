import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { s3KeyProblem } from '../../domain/s3-names.js';
import { MetadataUnavailableError, RangeNotSatisfiableError } from '../../core/errors.js';
import type { UseCases } from '../../objects/use-cases.js';
import type { SecretOf } from '../../http/console-identity.js';
import { callerOf } from '../caller.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { authenticateS3, type Authenticated } from './s3-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified signature of an S3 request, set by the S3 scope's hook. */
    s3Auth?: Authenticated;
  }
}
import type { BucketContext, ObjectContext, S3Context } from './s3-context.js';
import { s3ErrorXml, S3Error, toS3Error } from './s3-error.js';
import { s3Target } from './s3-target.js';
import * as buckets from './s3-bucket-ops.js';
import * as objects from './s3-object-ops.js';
import * as multipart from './s3-multipart-ops.js';

export interface S3Options {
  readonly useCases: UseCases;
  /** The secret key of an access key, if it exists. */
  readonly secretOf: SecretOf;
  /** The region clients sign for; any region is accepted, this one is reported. */
  readonly region: string;
  /** With a domain, `bucket.<domain>` addresses a bucket (virtual-hosted style); path style always works. */
  readonly domain?: string | undefined;
}

/** Subresources Shardstore does not implement: answered 501 rather than mistaken for a plain request. */
const UNSUPPORTED = ['acl', 'policy', 'cors', 'lifecycle', 'tagging', 'website', 'replication', 'encryption', 'object-lock', 'retention', 'legal-hold', 'notification', 'logging', 'requestPayment', 'accelerate', 'analytics', 'inventory', 'metrics', 'ownershipControls', 'publicAccessBlock', 'intelligent-tiering', 'torrent', 'restore', 'select', 'attributes', 'versions'];

const notImplemented = (what: string) => new S3Error('NotImplemented', 501, `${what} is not implemented by Shardstore`);
const methodNotAllowed = () => new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.');

/**
 * The S3-compatible API on its own listener: every request authenticated with Signature V4 against the
 * metadata store's access keys, addressed path-style or virtual-hosted-style, answered in S3's XML.
 * Buckets are namespaces of the object catalog; the path and file store namespaces (`_paths`,
 * `_filestore`) cannot be named, since bucket names never start with `_`.
 */
export function registerS3Routes(app: FastifyInstance, options: S3Options): void {
  acceptRawBodies(app);
  const { useCases, secretOf } = options;

  app.setErrorHandler((error, request, reply) => sendS3Error(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendS3Error(methodNotAllowed(), request, reply));

  // The scope's one authorisation: every request is signed with Signature V4 by a known access key.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amz-request-id', request.id).header('server', 'Shardstore');
    const [path = '/', query = ''] = splitUrl(request.raw.url ?? '/');
    request.s3Auth = await authenticateS3({ method: request.method, path, query, headers: request.headers }, secretOf);
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const [path = '/', query = ''] = splitUrl(request.raw.url ?? '/');
    const auth = request.s3Auth!;
    const target = s3Target(request.headers.host, path, options.domain);
    const ctx: S3Context = { useCases, caller: callerOf(request), request, reply, auth, query: new URLSearchParams(query), region: options.region };
    for (const sub of UNSUPPORTED) if (ctx.query.has(sub)) throw notImplemented(`the ?${sub} subresource`);
    if (target.bucket === null) {
      if (request.method === 'GET') return buckets.listBuckets(ctx);
      throw methodNotAllowed();
    }
    const bucketCtx: BucketContext = { ...ctx, bucket: target.bucket };
    if (!(request.method === 'PUT' && target.key === null) && !(await useCases.buckets.exists(target.bucket))) {
      throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    }
    if (target.key === null) return bucketOperation(bucketCtx);
    const problem = s3KeyProblem(target.key);
    if (problem) throw new S3Error(problem.includes('longer') ? 'KeyTooLongError' : 'InvalidArgument', 400, problem);
    return objectOperation({ ...bucketCtx, key: target.key });
  };
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url: '/', handler: handle });
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url: '/*', handler: handle });
}

function bucketOperation(ctx: BucketContext) {
  const q = ctx.query;
  switch (ctx.request.method) {
    case 'PUT':
      if (q.has('versioning')) throw notImplemented('bucket versioning');
      return buckets.createBucket(ctx);
    case 'HEAD':
      return buckets.headBucket(ctx);
    case 'DELETE':
      return buckets.deleteBucket(ctx);
    case 'POST':
      if (q.has('delete')) return buckets.deleteObjects(ctx);
      throw methodNotAllowed();
    default:
      if (q.has('location')) return buckets.getBucketLocation(ctx);
      if (q.has('uploads')) return multipart.listMultipartUploads(ctx);
      if (q.has('versioning')) return ctx.reply.header('content-type', 'application/xml').send('<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
      return buckets.listObjects(ctx);
  }
}

function objectOperation(ctx: ObjectContext) {
  const q = ctx.query;
  switch (ctx.request.method) {
    case 'PUT':
      if (q.has('uploadId')) return multipart.uploadPart(ctx);
      if (ctx.request.headers['x-amz-copy-source'] !== undefined) return objects.copyObject(ctx);
      return objects.putObject(ctx);
    case 'POST':
      if (q.has('uploads')) return multipart.createMultipartUpload(ctx);
      if (q.has('uploadId')) return multipart.completeMultipartUpload(ctx);
      throw methodNotAllowed();
    case 'DELETE':
      if (q.has('uploadId')) return multipart.abortMultipartUpload(ctx);
      return objects.deleteObject(ctx);
    case 'HEAD':
      return objects.getObject(ctx, true);
    default:
      if (q.has('uploadId')) return multipart.listParts(ctx);
      return objects.getObject(ctx, false);
  }
}

const splitUrl = (url: string): [string, string] => {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
};

function sendS3Error(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const s3 = toS3Error(error);
  if (error instanceof MetadataUnavailableError) reply.header('retry-after', String(error.retryAfter));
  else if (s3.status >= 500) request.log.error({ err: error }, s3.message);
  if (error instanceof RangeNotSatisfiableError) reply.header('content-range', `bytes */${error.size}`);
  const resource = (request.raw.url ?? '/').split('?')[0] ?? '/';
  return reply
    .code(s3.status)
    .header('x-amz-request-id', request.id)
    .header('content-type', 'application/xml')
    .send(s3ErrorXml(s3, resource, request.id));
}

/** Request ids as S3 shows them: 16 upper-case hex characters. */
export const s3RequestId = (): string => randomBytes(8).toString('hex').toUpperCase();
