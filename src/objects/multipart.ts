import { createHash } from 'node:crypto';
import { MultipartPartsError } from '../core/errors.js';
import type { MultipartUpload, NewObject, UploadedPart } from '../domain/records.js';
import type { ObjectServices } from './object-services.js';
import { settleFailedCommit, stripeBody, type StripedBody } from './stripe-body.js';

/** S3's smallest part, except the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

export interface UploadPartInput {
  readonly upload: MultipartUpload;
  readonly partNo: number;
  readonly body: AsyncIterable<Uint8Array>;
  readonly declaredSize?: number | undefined;
  readonly signal: AbortSignal;
  /** Checks of the stored bytes before the part is recorded; throws to refuse. */
  readonly verify?: (stored: StripedBody) => unknown;
}

/** Stripes one part like an object of its own and records it with its upload (replacing a part with its number). */
export async function uploadPart(svc: ObjectServices, input: UploadPartInput): Promise<UploadedPart> {
  const { upload } = input;
  const stored = await stripeBody(svc, { bucket: upload.bucket, key: upload.key, body: input.body, declaredSize: input.declaredSize, signal: input.signal });
  try {
    input.verify?.(stored);
    const now = Date.now();
    const part: UploadedPart = {
      uploadId: upload.id, partNo: input.partNo, size: stored.size, etag: stored.md5, sha256: stored.sha256,
      scheme: stored.scheme, shards: stored.shards, createdAt: now,
    };
    await svc.metadata.multipart.putPart(part, stored.intentId, now);
    return part;
  } catch (error) {
    await settleFailedCommit(stored, error, svc.log);
    throw error;
  }
}

/** A part as CompleteMultipartUpload names it. */
export interface ChosenPart {
  readonly partNo: number;
  /** Hex MD5, quotes already removed. */
  readonly etag: string;
}

/**
 * The object a completion makes: the chosen parts in ascending order, each named with its ETag, every one
 * but the last at least `minPartSize`. ETag: MD5 of the parts' binary MD5s, `-N`, as S3 computes it; the
 * SHA-256 column holds the same construction over the parts' SHA-256s (the whole object's digest would
 * need a second pass over the bytes), so equal uploads still deduplicate.
 */
export function assembleMultipart(
  upload: MultipartUpload,
  uploaded: readonly UploadedPart[],
  chosen: readonly ChosenPart[],
  minPartSize = MIN_PART_SIZE,
): NewObject {
  const byNumber = new Map(uploaded.map((p) => [p.partNo, p]));
  const parts = chosen.map((c, i) => {
    if (i > 0 && c.partNo <= chosen[i - 1]!.partNo) throw new MultipartPartsError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    const part = byNumber.get(c.partNo);
    if (!part || part.etag !== c.etag.toLowerCase()) {
      throw new MultipartPartsError('InvalidPart', `part ${c.partNo} was not uploaded, or its ETag does not match what was uploaded`);
    }
    return part;
  });
  parts.slice(0, -1).forEach((p) => {
    if (p.size < minPartSize) throw new MultipartPartsError('EntityTooSmall', `part ${p.partNo} is ${p.size} bytes; every part but the last must be at least ${minPartSize} bytes`);
  });
  const combined = (digests: string[]) => `${createHash('md5').update(Buffer.concat(digests.map((d) => Buffer.from(d, 'hex')))).digest('hex')}-${digests.length}`;
  let offset = 0;
  return {
    // The upload's own id: a repeated CompleteMultipartUpload finds the object it made by it.
    id: upload.id,
    bucket: upload.bucket,
    key: upload.key,
    size: parts.reduce((n, p) => n + p.size, 0),
    etag: combined(parts.map((p) => p.etag)),
    sha256: `${createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p.sha256, 'hex')))).digest('hex')}-${parts.length}`,
    contentType: upload.contentType,
    name: null,
    headers: upload.headers,
    createdAt: Date.now(),
    parts: parts.map((p, i) => {
      const record = { partNo: i + 1, offset, size: p.size, scheme: p.scheme, shards: p.shards };
      offset += p.size;
      return record;
    }),
  };
}
