import { KeyExistsError } from '../core/errors.js';
import type { CommitOptions, NewObject, ObjectRecord } from '../domain/records.js';
import type { ObjectServices } from './object-services.js';
import { settleFailedCommit, stripeBody, type StripeBodyInput, type StripedBody } from './stripe-body.js';

export interface PutObjectInput extends StripeBodyInput {
  readonly contentType?: string | null;
  readonly name?: string | null;
  readonly ownerKeyHash?: string | null;
  readonly headers?: Readonly<Record<string, string>> | null;
  /** S3: replace a live object with the key instead of refusing (write-once APIs leave it unset). */
  readonly replace?: boolean;
  readonly bucketMustExist?: boolean;
  /**
   * Checks of the stored bytes before they become visible (Content-MD5, signed payload hash); throws to
   * refuse. May return more headers to keep with the object (the checksums it verified).
   */
  readonly verify?: (stored: StripedBody) => Readonly<Record<string, string>> | void;
}

export interface StoredObject {
  readonly object: ObjectRecord;
  /** The id of the object this one replaced (S3 overwrite), if any. */
  readonly replaced: string | null;
}

/**
 * Streams one object into shards and commits it: visible in one metadata transaction that drops its
 * upload intent, or not at all (its shards deleted, or left to the cleaner through the intent).
 */
export async function putObject(svc: ObjectServices, input: PutObjectInput): Promise<StoredObject> {
  if (!input.replace && (await svc.metadata.objects.findLive(input.bucket, input.key))) throw new KeyExistsError(input.key);
  const stored = await stripeBody(svc, input);
  try {
    const verified = input.verify?.(stored);
    const headers = verified ? { ...input.headers, ...verified } : (input.headers ?? null);
    const object: NewObject = {
      id: stored.intentId,
      bucket: input.bucket,
      key: input.key,
      size: stored.size,
      etag: stored.md5,
      sha256: stored.sha256,
      contentType: input.contentType ?? null,
      name: input.name ?? null,
      ownerKeyHash: input.ownerKeyHash ?? null,
      headers,
      createdAt: Date.now(),
      parts: [{ partNo: 1, offset: 0, size: stored.size, scheme: stored.scheme, shards: stored.shards }],
    };
    const options: CommitOptions = { replace: input.replace ?? false, bucketMustExist: input.bucketMustExist ?? false };
    const { replaced } = await svc.metadata.objects.commit(object, stored.intentId, options);
    return { object: { ...object, expiresAt: null, deletedAt: null }, replaced };
  } catch (error) {
    await settleFailedCommit(stored, error, svc.log);
    throw error;
  }
}
