import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './s3-error.js';
import { parseTagQuery, tagSetProblem, withTags, type ObjectTag } from '../../domain/object-tags.js';

/** The first value of a request header. */
export const single = (v: string | readonly string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : (v as string | undefined));

/** Standard headers S3 keeps with an object and returns on GET and HEAD (Content-Type has its own column). */
const KEPT = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
/** S3's limit on user metadata: names and values of `x-amz-meta-*` together. */
export const MAX_USER_METADATA_BYTES = 2048;

/**
 * The response headers to keep with an uploaded object: user metadata (`x-amz-meta-*`) and the standard
 * ones. `aws-chunked` is the upload's transfer coding, not the object's, so it is dropped.
 */
export function storedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value === undefined) continue;
    if (name.startsWith('x-amz-meta-')) {
      out[name] = value;
      metadataBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(value);
    } else if (KEPT.includes(name)) {
      const kept = name === 'content-encoding' ? value.split(',').map((v) => v.trim()).filter((v) => v && v !== 'aws-chunked').join(', ') : value;
      if (kept) out[name] = kept;
    }
  }
  if (metadataBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', 400, `Your metadata headers exceed the maximum allowed metadata size of ${MAX_USER_METADATA_BYTES} bytes.`);
  }
  return withTags(out, requestTags(headers));
}

/** The tags a request sets with `x-amz-tagging` (URL query form), checked against S3's limits. */
export function requestTags(headers: IncomingHttpHeaders): ObjectTag[] {
  return checkedTags(parseTagQuery(single(headers['x-amz-tagging']) ?? ''));
}

/** A tag set, or S3's error for it. */
export function checkedTags(tags: ObjectTag[]): ObjectTag[] {
  const problem = tagSetProblem(tags);
  if (problem) throw new S3Error(problem.code, 400, problem.message);
  return tags;
}
