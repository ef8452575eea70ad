import type { ObjectRecord } from '../../domain/records.js';
import type { ByteRange } from '../../core/byte-range.js';
import { MAX_PART_NUMBER } from '../../objects/multipart.js';
import { sendObject } from '../object-response.js';
import { clientSignal } from '../../http/client-signal.js';
import { s3UploadBody } from './s3-body.js';
import { isoTime, quoted, sendXml, unquoted, type BucketContext, type ObjectContext } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { requestTags, single, storedHeaders } from './s3-headers.js';
import { tagsOf, TAGS_HEADER, withTags } from '../../domain/object-tags.js';
import { s3Target } from './s3-target.js';
import { authorize } from './s3-access.js';


export async function putObject(ctx: ObjectContext) {
  const upload = s3UploadBody(ctx.request, ctx.auth);
  const { object } = await ctx.useCases.objects.put({
    bucket: ctx.bucket,
    key: ctx.key,
    body: upload.body,
    declaredSize: upload.declaredSize,
    contentType: single(ctx.request.headers['content-type']) ?? null,
    headers: storedHeaders(ctx.request.headers),
    replace: true,
    bucketMustExist: true,
    verify: (stored) => upload.verify(stored),
    signal: clientSignal(ctx.request, ctx.reply),
  }, ctx.caller);
  return ctx.reply.code(200).header('etag', quoted(object.etag)).headers(checksumHeadersOf(object)).send();
}

const checksumHeadersOf = (object: ObjectRecord): Record<string, string> =>
  Object.fromEntries(Object.entries(object.headers ?? {}).filter(([name]) => name.startsWith('x-amz-checksum-')));

async function liveObject(ctx: ObjectContext): Promise<ObjectRecord> {
  const object = await ctx.useCases.objects.findLive(ctx.bucket, ctx.key);
  if (!object) throw new S3Error('NoSuchKey', 404, 'The specified key does not exist.');
  return object;
}

/** `response-*` query parameters override response headers (presigned downloads use them). */
const RESPONSE_OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];

export async function getObject(ctx: ObjectContext, head: boolean) {
  const object = await liveObject(ctx);
  preconditions(ctx, object);
  const part = partRange(ctx, object);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.headers ?? {})) {
    if (!name.startsWith('x-amz-checksum-') && name !== TAGS_HEADER) headers[name] = value;
  }
  const tags = tagsOf(object.headers).length;
  if (tags) headers['x-amz-tagging-count'] = String(tags);
  // Checksums of the whole object, for a whole read by a client that asks (the SDKs then verify the body).
  const checksums = single(ctx.request.headers['x-amz-checksum-mode'])?.toUpperCase() === 'ENABLED' ? checksumHeadersOf(object) : undefined;
  for (const name of RESPONSE_OVERRIDES) {
    const value = ctx.query.get(`response-${name}`);
    if (value !== null) headers[name] = value;
  }
  if (isMultipart(object)) headers['x-amz-mp-parts-count'] = String(object.parts.length);
  return sendObject(ctx.useCases.objects, ctx.request, ctx.reply, object, head, { headers, wholeBodyHeaders: checksums, ...(part ? { range: part } : {}) });
}

/** Made by CompleteMultipartUpload: its ETag ends in the part count, as on S3. */
const isMultipart = (object: ObjectRecord): boolean => /-\d+$/.test(object.etag);

/**
 * `?partNumber=N`: the bytes of the object's N-th part (its parts numbered 1… in order, as completed), as a
 * 206. A single-part object has part 1, answered whole as a 200.
 */
function partRange(ctx: ObjectContext, object: ObjectRecord): ByteRange | undefined {
  const raw = ctx.query.get('partNumber');
  if (raw === null) return undefined;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > MAX_PART_NUMBER) throw new S3Error('InvalidArgument', 400, `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  if (ctx.request.headers.range !== undefined) throw new S3Error('InvalidRequest', 400, 'Cannot specify both Range header and partNumber query parameter');
  const multipart = isMultipart(object);
  if (n > (multipart ? object.parts.length : 1)) throw new S3Error('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable');
  if (!multipart) return undefined;
  const part = object.parts[n - 1]!;
  return { start: part.offset, end: part.offset + part.size - 1 };
}

/** If-Match and If-Unmodified-Since: 412 (If-None-Match and If-Modified-Since give 304 in sendObject). */
function preconditions(ctx: ObjectContext, object: ObjectRecord): void {
  const ifMatch = single(ctx.request.headers['if-match']);
  const modifiedSecond = Math.floor(object.createdAt / 1000) * 1000;
  if (ifMatch !== undefined) {
    if (ifMatch.trim() !== '*' && !ifMatch.split(',').some((t) => unquoted(t) === object.etag)) {
      throw new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    }
    return;
  }
  const since = single(ctx.request.headers['if-unmodified-since']);
  if (since !== undefined && !Number.isNaN(Date.parse(since)) && modifiedSecond > Date.parse(since)) {
    throw new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
  }
}

export async function deleteObject(ctx: ObjectContext) {
  // S3 answers a delete of a missing key as done.
  await ctx.useCases.objects.expireKey(ctx.bucket, ctx.key, ctx.caller);
  return ctx.reply.code(204).send();
}

/** The source of a copy (`x-amz-copy-source: /bucket/key` or `bucket/key`, percent-encoded), live. */
export async function copySource(ctx: BucketContext): Promise<ObjectRecord> {
  const header = single(ctx.request.headers['x-amz-copy-source']) ?? '';
  const [path = '', version] = header.split('?');
  if (version && !/^versionId=(null)?$/.test(version)) throw new S3Error('NoSuchVersion', 404, 'The specified version does not exist.');
  const { bucket, key } = s3Target(undefined, path.startsWith('/') ? path : `/${path}`, undefined);
  if (!bucket || !key) throw new S3Error('InvalidArgument', 400, 'x-amz-copy-source must name a bucket and a key: /bucket/key');
  const found = await ctx.useCases.buckets.find(bucket);
  if (!found) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
  await authorize(ctx, found, { access: 'read', objectRead: true });
  const source = await ctx.useCases.objects.findLive(bucket, key);
  if (!source) throw new S3Error('NoSuchKey', 404, 'The specified key does not exist.');
  const ifMatch = single(ctx.request.headers['x-amz-copy-source-if-match']);
  const ifNoneMatch = single(ctx.request.headers['x-amz-copy-source-if-none-match']);
  if ((ifMatch !== undefined && unquoted(ifMatch) !== source.etag) || (ifNoneMatch !== undefined && unquoted(ifNoneMatch) === source.etag)) {
    throw new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
  }
  return source;
}

/**
 * CopyObject: the copy names the source's shards (no bytes move; shards are reference-counted), with the
 * source's metadata (`x-amz-metadata-directive: COPY`) or the request's (`REPLACE`).
 */
export async function copyObject(ctx: ObjectContext) {
  const source = await copySource(ctx);
  const directive = (single(ctx.request.headers['x-amz-metadata-directive']) ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 400, 'x-amz-metadata-directive must be COPY or REPLACE');
  if (directive === 'COPY' && source.bucket === ctx.bucket && source.key === ctx.key) {
    throw new S3Error('InvalidRequest', 400, 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata.');
  }
  const tagDirective = (single(ctx.request.headers['x-amz-tagging-directive']) ?? 'COPY').toUpperCase();
  if (tagDirective !== 'COPY' && tagDirective !== 'REPLACE') throw new S3Error('InvalidArgument', 400, 'x-amz-tagging-directive must be COPY or REPLACE');
  const replace = directive === 'REPLACE';
  const headers = replace ? { ...storedHeaders(ctx.request.headers), ...checksumHeadersOf(source) } : { ...source.headers };
  // The tags follow their own directive: the source's unless the request replaces them with x-amz-tagging.
  const tags = tagDirective === 'REPLACE' ? requestTags(ctx.request.headers) : tagsOf(source.headers);
  const object = await ctx.useCases.objects.copy(source, {
    bucket: ctx.bucket,
    key: ctx.key,
    contentType: replace ? (single(ctx.request.headers['content-type']) ?? null) : source.contentType,
    headers: withTags(headers, tags),
  }, ctx.caller);
  return sendXml(ctx.reply, 'CopyObjectResult', { ETag: quoted(object.etag), LastModified: isoTime(object.createdAt) });
}
