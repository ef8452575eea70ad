import { BUCKET_ACCESS, type AccessKey, type Bucket, type BucketAccess } from './records.js';

/** Whether holding `held` (or nothing) allows what needs `needed`: owner includes write, write includes read. */
export const permits = (held: BucketAccess | undefined, needed: BucketAccess): boolean =>
  held !== undefined && BUCKET_ACCESS.indexOf(held) >= BUCKET_ACCESS.indexOf(needed);

/** What a request may do in a bucket. */
export interface AccessRequest {
  /** The signing key; undefined for an anonymous request. */
  readonly key: AccessKey | undefined;
  /** The key's grant on the bucket (administrators need none). */
  readonly granted: BucketAccess | undefined;
  readonly bucket: Bucket;
  readonly needed: BucketAccess;
  /** A plain object read (GetObject, HeadObject): the one thing a public-read bucket lets anyone do. */
  readonly objectRead: boolean;
}

/** Administrators may do everything; other keys what their grant permits; anyone may read a public-read bucket's objects. */
export function mayAccess(r: AccessRequest): boolean {
  if (r.key?.admin) return true;
  if (r.key && permits(r.granted, r.needed)) return true;
  return r.objectRead && r.bucket.publicRead === true;
}
