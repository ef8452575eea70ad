import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { s3KeyProblem } from '../../domain/s3-names.js';
import { MetadataUnavailableError, RangeNotSatisfiableError } from '../../core/errors.js';
import type { UseCases } from '../../objects/use-cases.js';
import { callerOf } from '../caller.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { ANONYMOUS, authenticateS3, isAnonymousS3, type Authenticated } from './s3-auth.js';
import type { AccessKey, Bucket } from '../../domain/records.js';
import { addCorsHeaders, answerPreflight } from './s3-cors.js';
import { postObject } from './s3-post-object.js';
import { isMultipart } from '../../http/multipart-file.js';
import { anonymousDenied, authorize, neededAccess } from './s3-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified signature of an S3 request, set by the S3 scope's hook. */
    s3Auth?: Authenticated;
    /** The key that signed it; undefined for an anonymous request. */
    s3Key?: AccessKey;
    /** The bucket it addresses once looked up (null: there is none); its CORS rules gave the response its CORS headers. */
    s3Bucket?: Bucket | null;
  }
}
import type { BucketContext, ObjectContext, S3Context } from './s3-context.js';
import { s3ErrorXml, S3Error, toS3Error } from './s3-error.js';
import { s3Target } from './s3-target.js';
import * as buckets from './s3-bucket-ops.js';
import * as objects from './s3-object-ops.js';
import * as multipart from './s3-multipart-ops.js';
import * as tagging from './s3-tagging.js';
import * as settings from './s3-bucket-settings.js';

export interface S3Options {
  readonly useCases: UseCases;
  /** An access key with its secret and rights, if it exists. */
  readonly keyOf: (accessKey: string) => Promise<AccessKey | undefined>;
  /** The region clients sign for; any region is accepted, this one is reported. */
  readonly region: string;
  /** With a domain, `bucket.<domain>` addresses a bucket (virtual-hosted style); path style always works. */
  readonly domain?: string | undefined;
}

/** Subresources Shardstore does not implement: answered 501 rather than mistaken for a plain request. */
const UNSUPPORTED = ['acl', 'policy', 'website', 'replication', 'encryption', 'object-lock', 'retention', 'legal-hold', 'notification', 'logging', 'requestPayment', 'accelerate', 'analytics', 'inventory', 'metrics', 'ownershipControls', 'publicAccessBlock', 'intelligent-tiering', 'torrent', 'restore', 'select', 'attributes', 'versions'];

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
  const { useCases, keyOf } = options;

  app.setErrorHandler((error, request, reply) => sendS3Error(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendS3Error(methodNotAllowed(), request, reply));

  // The scope's one authentication: a request is signed with Signature V4 by a known access key, or anonymous
  // (then it may only read the objects of public-read buckets, which each operation's access check decides).
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amz-request-id', request.id).header('server', 'Shardstore');
    // A CORS preflight is never signed: browsers send it without credentials.
    if (request.method === 'OPTIONS') return;
    const [path = '/', query = ''] = splitUrl(request.raw.url ?? '/');
    const signable = { method: request.method, path, query, headers: request.headers };
    if (isAnonymousS3(signable)) {
      request.s3Auth = ANONYMOUS;
      return;
    }
    request.s3Auth = await authenticateS3(signable, async (accessKey) => (request.s3Key = await keyOf(accessKey))?.secretKey);
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const [path = '/', query = ''] = splitUrl(request.raw.url ?? '/');
    const auth = request.s3Auth!;
    const target = s3Target(request.headers.host, path, options.domain);
    const signer = request.s3Key;
    const ctx: S3Context = { useCases, caller: callerOf(request), request, reply, auth, signer, query: new URLSearchParams(query), region: options.region };
    for (const sub of UNSUPPORTED) if (ctx.query.has(sub)) throw notImplemented(`the ?${sub} subresource`);
    if (target.bucket === null) {
      if (request.method !== 'GET') throw methodNotAllowed();
      if (!signer) throw anonymousDenied();
      return buckets.listBuckets(ctx, signer);
    }
    const bucketCtx: BucketContext = { ...ctx, bucket: target.bucket };
    const creating = request.method === 'PUT' && target.key === null && ![...ctx.query.keys()].length;
    if (creating) {
      if (!signer) throw anonymousDenied();
      return buckets.createBucket(bucketCtx, signer);
    }
    const bucket = await useCases.buckets.find(target.bucket);
    request.s3Bucket = bucket ?? null;
    // Here, not in onSend: a GET's body is written past Fastify's hooks.
    addCorsHeaders(request, reply, bucket);
    if (!bucket) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    // A browser's form upload is signed inside the form, not the request: it authorizes itself.
    if (request.method === 'POST' && target.key === null && isMultipart(request.headers['content-type'])) return postObject(bucketCtx, bucket, keyOf);
    await authorize(ctx, bucket, neededAccess(request.method, target.key !== null, ctx.query));
    if (target.key === null) return bucketOperation(bucketCtx);
    const problem = s3KeyProblem(target.key);
    if (problem) throw new S3Error(problem.includes('longer') ? 'KeyTooLongError' : 'InvalidArgument', 400, problem);
    return objectOperation({ ...bucketCtx, key: target.key });
  };
  /** The addressed bucket, or undefined when there is none or the address is not one. */
  const bucketOf = async (request: FastifyRequest): Promise<Bucket | undefined> => {
    try {
      const target = s3Target(request.headers.host, splitUrl(request.raw.url ?? '/')[0], options.domain);
      return target.bucket === null ? undefined : await useCases.buckets.find(target.bucket);
    } catch {
      return undefined;
    }
  };
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => answerPreflight(request, reply, await bucketOf(request));
  // A request that failed before its bucket was looked up (a bad signature) gets its CORS headers too.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.headers.origin !== undefined && request.method !== 'OPTIONS' && request.s3Bucket === undefined) {
      addCorsHeaders(request, reply, await bucketOf(request));
    }
    return payload;
  });
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url: '/', handler: handle });
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url: '/*', handler: handle });
  app.route({ method: 'OPTIONS', url: '/', handler: preflight });
  app.route({ method: 'OPTIONS', url: '/*', handler: preflight });
}

function bucketOperation(ctx: BucketContext) {
  const q = ctx.query;
  if (q.has('tagging')) throw notImplemented('bucket tagging');
  if (q.has('cors')) return settingOperation(ctx, settings.getBucketCors, settings.putBucketCors, settings.deleteBucketCors);
  if (q.has('lifecycle')) return settingOperation(ctx, settings.getBucketLifecycle, settings.putBucketLifecycle, settings.deleteBucketLifecycle);
  switch (ctx.request.method) {
    case 'PUT':
      if (q.has('versioning')) throw notImplemented('bucket versioning');
      throw methodNotAllowed();
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
  if (q.has('tagging')) return taggingOperation(ctx);
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

type BucketHandler = (ctx: BucketContext) => Promise<FastifyReply>;

/** A bucket setting's Get, Put and Delete. */
function settingOperation(ctx: BucketContext, get: BucketHandler, put: BucketHandler, remove: BucketHandler) {
  switch (ctx.request.method) {
    case 'GET':
      return get(ctx);
    case 'PUT':
      return put(ctx);
    case 'DELETE':
      return remove(ctx);
    default:
      throw methodNotAllowed();
  }
}

function taggingOperation(ctx: ObjectContext) {
  switch (ctx.request.method) {
    case 'GET':
      return tagging.getObjectTagging(ctx);
    case 'PUT':
      return tagging.putObjectTagging(ctx);
    case 'DELETE':
      return tagging.deleteObjectTagging(ctx);
    default:
      throw methodNotAllowed();
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
