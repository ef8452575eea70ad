import type { CorsRule } from './cors-rules.js';
import type { LifecycleRule } from './lifecycle-rules.js';
import type { ErasureScheme } from '../core/erasure-scheme.js';

/** Namespaces of the public APIs. S3 bucket names cannot start with '_', so these never collide. */
export const PATHS_BUCKET = '_paths';
export const FILESTORE_BUCKET = '_filestore';

export interface ShardLocation {
  readonly index: number;
  readonly nodeId: string;
  readonly shardId: string;
  /** Bytes of the shard file (frames with their checksums). */
  readonly size: number;
}

/** One independently striped piece of an object (a single PUT has one; S3 multipart has several). */
export interface PartRecord {
  readonly partNo: number;
  /** Offset of the part's first byte within the object. */
  readonly offset: number;
  readonly size: number;
  readonly scheme: ErasureScheme;
  readonly shards: readonly ShardLocation[];
}

export interface ObjectRecord {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** Hex MD5 of the content for single-part objects; the ETag without quotes. */
  readonly etag: string;
  readonly sha256: string;
  readonly contentType: string | null;
  readonly name: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly deletedAt: number | null;
  readonly parts: readonly PartRecord[];
  /**
   * Response headers stored with the object (S3: `x-amz-meta-*`, Cache-Control, Content-Disposition,
   * Content-Encoding, Content-Language, Expires, the `x-amz-checksum-*` it was uploaded with), and the S3 tags
   * under `x-amz-tagging` (object-tags.ts), which is never sent as a header.
   */
  readonly headers?: Readonly<Record<string, string>> | null;
}

export interface NewObject extends Omit<ObjectRecord, 'expiresAt' | 'deletedAt'> {
  readonly ownerKeyHash?: string | null;
}

export interface CommitOptions {
  /** S3 semantics: the live object with the key, if any, is expired in the same transaction (last writer wins). */
  readonly replace?: boolean;
  /** The bucket must exist in the bucket catalog when the object becomes visible (S3 buckets). */
  readonly bucketMustExist?: boolean;
  /**
   * A copy: the object's parts are this live object's parts as they are at the commit, so both name the
   * same shards (no bytes move). Fails with NotFoundError if the source is no longer live.
   */
  readonly partsOf?: string;
}

/** One S3 bucket. */
/** A bucket; its settings (CORS and lifecycle rules) are present only when it has them. */
export interface Bucket extends Partial<BucketSettings> {
  readonly name: string;
  readonly createdAt: number;
  /** Anyone may read its objects without signing (GetObject, HeadObject): public assets. */
  readonly publicRead?: boolean;
}

/** The settings of a bucket kept as documents, each replaced or removed as a whole. */
export interface BucketSettings {
  /** Its CORS rules (PutBucketCors). */
  readonly cors: readonly CorsRule[];
  /** Its lifecycle rules (PutBucketLifecycleConfiguration). */
  readonly lifecycle: readonly LifecycleRule[];
}

/** What a key may do in a bucket; each includes the ones before it. */
export const BUCKET_ACCESS = ['read', 'write', 'owner'] as const;
export type BucketAccess = (typeof BUCKET_ACCESS)[number];

/** A key's access to one bucket. */
export interface BucketGrant {
  readonly accessKey: string;
  readonly bucket: string;
  readonly access: BucketAccess;
}

/** A live object as a listing shows it. */
export interface ObjectListEntry {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly createdAt: number;
}

/** Live keys of a bucket in UTF-8 byte order, after `after`, starting with `prefix`. */
export interface ListQuery {
  readonly prefix: string;
  readonly after: string;
  readonly limit: number;
}

/** An S3 multipart upload in progress. */
export interface MultipartUpload {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

/** A part uploaded to a multipart upload: striped and stored like an object of its own. */
export interface UploadedPart {
  readonly uploadId: string;
  readonly partNo: number;
  readonly size: number;
  /** Hex MD5 of the part (its ETag without quotes). */
  readonly etag: string;
  readonly sha256: string;
  readonly scheme: ErasureScheme;
  readonly shards: readonly ShardLocation[];
  readonly createdAt: number;
}

export interface IntentShard {
  readonly nodeId: string;
  readonly shardId: string;
}

/** Written before the first byte goes to a node, so a crash leaves orphans the cleaner can find. */
export interface UploadIntent {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly createdAt: number;
  /** Refreshed while the upload runs; an intent not refreshed for the grace period is abandoned. */
  readonly updatedAt?: number;
  readonly shards: readonly IntentShard[];
}

export interface NodeRecord {
  readonly id: string;
  readonly url: string;
  readonly capacity: number;
  readonly used: number;
  readonly shards: number;
  /** Host and device of the file system holding the node's directory (nodes sharing one count it once). */
  readonly fsId: string | null;
  /** Bytes free on that file system at the node's last report. */
  readonly fsFree: number | null;
  /** Failure domains: the node's zone and machine (`--zone`, `--machine`), null when it reported none. */
  readonly zone: string | null;
  readonly machine: string | null;
  /**
   * Set by an operator: `draining` — the node takes no new shards and the rebalancer moves its shards off;
   * `retired` — gone for good, out of placement, listings and repair (allowed once no live object needs it).
   */
  readonly drain: NodeDrain;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export type NodeDrain = 'draining' | 'retired' | null;

/** What a node's registration or heartbeat says about it (the rest is the registry's). */
export type NodeReportRecord = Omit<NodeRecord, 'firstSeen' | 'lastSeen' | 'drain'>;

export type AuditAction = 'create' | 'download' | 'expire' | 'purge' | 'abort' | 'dedupe';

/** An S3 access key and its secret. */
export interface AccessKey {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly name: string;
  readonly createdAt: number;
  /** May do everything in every bucket; other keys only what their grants allow. */
  readonly admin: boolean;
}

/** One part of one object. */
export interface PartRef {
  readonly objectId: string;
  readonly partNo: number;
}

/**
 * A shard's bytes copied (moved or rebuilt) to a new shard id on another node; `from` is null for a shard
 * the part never had (an under-replicated upload), which is then added to the part.
 */
export interface ShardMove {
  readonly part: PartRef & { readonly index: number };
  readonly from: { readonly shardId: string; readonly nodeId: string } | null;
  readonly to: { readonly shardId: string; readonly nodeId: string; readonly size: number };
}

/** A shard file that no object needs any more, waiting for the cleaner to delete it from its node. */
export interface GarbageShard {
  readonly nodeId: string;
  readonly shardId: string;
  readonly size: number;
}

/** Live objects with the same content (SHA-256 and size) that do not all share one set of shards yet. */
export interface DuplicateGroup {
  readonly sha256: string;
  readonly size: number;
  /** Oldest first: the first is the one whose shards the others come to share. */
  readonly objectIds: readonly string[];
}

export interface AuditEntry {
  /** Assigned by the store, increasing. */
  readonly id?: number;
  readonly at: number;
  readonly action: AuditAction;
  readonly objectId: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly client: string | null;
  readonly bytes: number;
  readonly durationMs: number;
  readonly result: string;
}

export interface AuditQuery {
  readonly objectId?: string;
  readonly action?: AuditAction;
  readonly limit: number;
}
