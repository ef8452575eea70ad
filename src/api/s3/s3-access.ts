import type { Bucket, BucketAccess } from '../../domain/records.js';
import { mayAccess } from '../../domain/bucket-access.js';
import type { S3Context } from './s3-context.js';
import { S3Error } from './s3-error.js';

/** Subresources of an object that are not its bytes: reading them is not a plain object read. */
const OBJECT_SUBRESOURCES = ['tagging', 'uploadId', 'uploads'];
/** A bucket's settings: only its owner reads or changes them. */
const BUCKET_SETTINGS = ['cors', 'lifecycle'];

/** What a request needs in a bucket, and whether it is a plain object read. */
export interface NeededAccess {
  readonly access: BucketAccess;
  readonly objectRead: boolean;
}

/**
 * The access an S3 request needs in its bucket: reads need `read`; writing objects (PUT, POST, DELETE of
 * objects, multipart uploads, DeleteObjects) needs `write`; the bucket itself (its deletion, its CORS and
 * lifecycle rules, read or written) needs `owner`. `objectRead` marks a plain GetObject or HeadObject, the one request a public-read bucket
 * answers without a signature.
 */
export function neededAccess(method: string, isObject: boolean, query: URLSearchParams): NeededAccess {
  const reading = method === 'GET' || method === 'HEAD';
  if (isObject) {
    return reading
      ? { access: 'read', objectRead: !OBJECT_SUBRESOURCES.some((s) => query.has(s)) }
      : { access: 'write', objectRead: false };
  }
  if (BUCKET_SETTINGS.some((s) => query.has(s))) return { access: 'owner', objectRead: false };
  if (reading) return { access: 'read', objectRead: false };
  if (method === 'POST' && query.has('delete')) return { access: 'write', objectRead: false };
  return { access: 'owner', objectRead: false };
}

export const anonymousDenied = () => new S3Error('AccessDenied', 403, 'anonymous access is not allowed; sign the request with an access key');

const verbs: Record<BucketAccess, string> = { read: 'read', write: 'write to', owner: 'change or delete' };

/** Refuses with AccessDenied what the request's key (or its anonymity) does not allow in the bucket. */
export async function authorize(ctx: S3Context, bucket: Bucket, needed: NeededAccess): Promise<void> {
  const { signer } = ctx;
  const granted = signer && !signer.admin ? await ctx.useCases.buckets.accessTo(signer, bucket.name) : undefined;
  if (mayAccess({ key: signer, granted, bucket, needed: needed.access, objectRead: needed.objectRead })) return;
  if (!signer) throw anonymousDenied();
  throw new S3Error('AccessDenied', 403, `Access Denied: key ${signer.accessKey} may not ${verbs[needed.access]} bucket ${bucket.name}`);
}
