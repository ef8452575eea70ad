import { parseRangeHeader } from '../../core/byte-range.js';
import { MAX_PART_NUMBER } from '../../objects/multipart.js';
import type { MultipartUpload } from '../../domain/records.js';
import { clientSignal } from '../../http/client-signal.js';
import { NoSuchUploadError } from '../../core/errors.js';
import { readSmallBody, s3UploadBody } from './s3-body.js';
import { isoTime, OWNER, pageLimit, quoted, sendXml, unquoted, type BucketContext, type ObjectContext } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { single, storedHeaders } from './s3-headers.js';
import { copySource } from './s3-object-ops.js';
import { many, MAX_XML_BODY, parseXmlBody } from './s3-xml.js';

/** S3's largest part. */
const MAX_PART_SIZE = 5 * 1024 ** 3;

export async function createMultipartUpload(ctx: ObjectContext) {
  const upload = await ctx.useCases.multipart.begin({
    bucket: ctx.bucket,
    key: ctx.key,
    contentType: single(ctx.request.headers['content-type']) ?? null,
    headers: storedHeaders(ctx.request.headers),
  });
  return sendXml(ctx.reply, 'InitiateMultipartUploadResult', { Bucket: ctx.bucket, Key: ctx.key, UploadId: upload.id });
}

/** The upload a request names with `uploadId`, which must belong to the request's bucket and key. */
async function namedUpload(ctx: ObjectContext): Promise<MultipartUpload> {
  const id = ctx.query.get('uploadId') ?? '';
  const upload = id ? await ctx.useCases.multipart.find(id) : undefined;
  if (!upload || upload.bucket !== ctx.bucket || upload.key !== ctx.key) {
    throw new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  }
  return upload;
}

function partNumberOf(ctx: ObjectContext): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > MAX_PART_NUMBER) throw new S3Error('InvalidArgument', 400, `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  return n;
}

/** UploadPart, and UploadPartCopy when `x-amz-copy-source` names an object (optionally a byte range of it). */
export async function uploadPart(ctx: ObjectContext) {
  const partNo = partNumberOf(ctx);
  const upload = await namedUpload(ctx);
  const signal = clientSignal(ctx.request, ctx.reply);
  if (ctx.request.headers['x-amz-copy-source'] !== undefined) {
    const source = await copySource(ctx);
    const rangeHeader = single(ctx.request.headers['x-amz-copy-source-range']);
    const range = rangeHeader === undefined ? undefined : parseRangeHeader(rangeHeader, source.size);
    if (rangeHeader !== undefined && (!range || !/^bytes=\d+-\d+$/.test(rangeHeader))) {
      throw new S3Error('InvalidArgument', 400, 'x-amz-copy-source-range must be bytes=first-last within the source object');
    }
    const size = range ? range.end - range.start + 1 : source.size;
    if (size > MAX_PART_SIZE) throw new S3Error('EntityTooLarge', 400, 'a part is at most 5 GiB');
    const part = await ctx.useCases.multipart.uploadPart({ upload, partNo, body: ctx.useCases.objects.read(source, range, signal), declaredSize: size, signal });
    return sendXml(ctx.reply, 'CopyPartResult', { ETag: quoted(part.etag), LastModified: isoTime(part.createdAt) });
  }
  const body = s3UploadBody(ctx.request, ctx.auth);
  if (body.declaredSize !== undefined && body.declaredSize > MAX_PART_SIZE) throw new S3Error('EntityTooLarge', 400, 'a part is at most 5 GiB');
  let checksums: Record<string, string> = {};
  const part = await ctx.useCases.multipart.uploadPart({
    upload, partNo, body: body.body, declaredSize: body.declaredSize, signal,
    verify: (stored) => (checksums = body.verify(stored)),
  });
  return ctx.reply.code(200).header('etag', quoted(part.etag)).headers(checksums).send();
}

/**
 * CompleteMultipartUpload. Repeated after it succeeded (a client that lost the first answer retries), it
 * answers success again with the object it made, as AWS does, for as long as that object is the key's live one.
 */
export async function completeMultipartUpload(ctx: ObjectContext) {
  const id = ctx.query.get('uploadId') ?? '';
  const body = await readSmallBody(ctx.request, ctx.auth, MAX_XML_BODY);
  const completed = async () => {
    const object = id ? await ctx.useCases.objects.findLive(ctx.bucket, ctx.key) : undefined;
    return object?.id === id ? object : undefined;
  };
  const done = await completed();
  if (done) return sendCompleted(ctx, done.etag);
  const upload = await namedUpload(ctx);
  const doc = parseXmlBody(body);
  const root = doc['CompleteMultipartUpload'] as Record<string, unknown> | undefined;
  const chosen = many(root?.['Part']).map((p) => {
    const fields = (p ?? {}) as Record<string, unknown>;
    const partNo = Number(String(fields['PartNumber'] ?? '').trim());
    const etag = unquoted(String(fields['ETag'] ?? ''));
    if (!Number.isInteger(partNo) || partNo < 1 || !etag) throw new S3Error('MalformedXML', 400, 'every <Part> needs a <PartNumber> and an <ETag>');
    return { partNo, etag };
  });
  if (!root || chosen.length === 0) throw new S3Error('MalformedXML', 400, 'CompleteMultipartUpload names no parts');
  let etag: string;
  try {
    etag = (await ctx.useCases.multipart.complete(upload, chosen, ctx.caller)).etag;
  } catch (error) {
    // A concurrent completion of the same upload won the race: its object is the answer.
    const winner = error instanceof NoSuchUploadError ? await completed() : undefined;
    if (!winner) throw error;
    etag = winner.etag;
  }
  return sendCompleted(ctx, etag);
}

const sendCompleted = (ctx: ObjectContext, etag: string) =>
  sendXml(ctx.reply, 'CompleteMultipartUploadResult', { Location: `/${ctx.bucket}/${ctx.key}`, Bucket: ctx.bucket, Key: ctx.key, ETag: quoted(etag) });

export async function abortMultipartUpload(ctx: ObjectContext) {
  const upload = await namedUpload(ctx);
  if (!(await ctx.useCases.multipart.abort(upload.id))) {
    throw new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  }
  return ctx.reply.code(204).send();
}

export async function listParts(ctx: ObjectContext) {
  const upload = await namedUpload(ctx);
  const max = pageLimit(ctx.query, 'max-parts');
  const marker = Number(ctx.query.get('part-number-marker') ?? '0') || 0;
  const after = (await ctx.useCases.multipart.parts(upload.id)).filter((p) => p.partNo > marker);
  const page = after.slice(0, max);
  return sendXml(ctx.reply, 'ListPartsResult', {
    Bucket: ctx.bucket, Key: ctx.key, UploadId: upload.id, Initiator: OWNER, Owner: OWNER, StorageClass: 'STANDARD',
    PartNumberMarker: marker, NextPartNumberMarker: page.at(-1)?.partNo ?? marker, MaxParts: max, IsTruncated: after.length > page.length,
    Part: page.map((p) => ({ PartNumber: p.partNo, LastModified: isoTime(p.createdAt), ETag: quoted(p.etag), Size: p.size })),
  });
}

export async function listMultipartUploads(ctx: BucketContext) {
  const max = pageLimit(ctx.query, 'max-uploads');
  const prefix = ctx.query.get('prefix') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  // Without an upload-id-marker, S3 lists uploads of keys after key-marker only.
  const idMarker = ctx.query.get('upload-id-marker') ?? (keyMarker ? '\u{10FFFF}' : '');
  const found = await ctx.useCases.multipart.list(ctx.bucket, { prefix, afterKey: keyMarker, afterId: idMarker, limit: max + 1 });
  const page = found.slice(0, max);
  const truncated = found.length > max;
  return sendXml(ctx.reply, 'ListMultipartUploadsResult', {
    Bucket: ctx.bucket, KeyMarker: keyMarker, UploadIdMarker: ctx.query.get('upload-id-marker') ?? '', Prefix: prefix,
    NextKeyMarker: truncated ? page.at(-1)?.key : undefined, NextUploadIdMarker: truncated ? page.at(-1)?.id : undefined,
    MaxUploads: max, IsTruncated: truncated,
    Upload: page.map((u) => ({ Key: u.key, UploadId: u.id, Initiator: OWNER, Owner: OWNER, StorageClass: 'STANDARD', Initiated: isoTime(u.createdAt) })),
  });
}
