import type { AccessKey, AuditEntry, Bucket, BucketAccess, BucketGrant, BucketSettings, CommitOptions, ListQuery, MultipartUpload, ObjectListEntry, UploadedPart, AuditQuery, DuplicateGroup, GarbageShard, NewObject, NodeRecord, ObjectRecord, PartRef, ShardLocation, ShardMove, UploadIntent, NodeDrain, NodeReportRecord } from './records.js';

/** Objects in a (bucket, key) namespace; at most one live object per key. */
export interface ObjectCatalog {
  findLive(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Makes the object visible and drops its upload intent (if any: a copy has none) in one transaction.
   * Throws KeyExistsError when a live object already has the key (unless `replace`), IntentGoneError
   * when the intent no longer exists (the cleaner claimed it), NoSuchBucketError: then nothing becomes
   * visible. Returns the id of the object it replaced, if any.
   */
  commit(object: NewObject, intentId: string | null, options?: CommitOptions): Promise<{ replaced: string | null }>;
  /** Live keys of a bucket in UTF-8 byte order (S3 listing order). */
  list(bucket: string, query: ListQuery): Promise<ObjectListEntry[]>;
  /**
   * Live objects and their bytes over every bucket, and the bytes not stored twice because live objects share
   * their shards (deduplicated, or S3 copies); kept current by the store (no scan).
   */
  totals(): Promise<{ objects: number; bytes: number; sharedBytes: number }>;
  /** Any object by id, live, expired or purged. */
  findById(id: string): Promise<ObjectRecord | undefined>;
  /** The owner key hash stored with an object (file store), or null. */
  ownerKeyHash(id: string): Promise<string | null>;
  /** Sets expires_at if the object is live; false if it was already expired (or unknown). */
  expire(id: string, now: number): Promise<boolean>;
  /** Replaces the stored headers of a live object (S3 tagging); false if it is no longer live. */
  setHeaders(object: Pick<ObjectRecord, 'id' | 'bucket' | 'key'>, headers: Readonly<Record<string, string>>): Promise<boolean>;
  /** Expired objects whose shards have not been purged yet, oldest expiry first. */
  expiredNotPurged(limit: number): Promise<ObjectRecord[]>;
  markPurged(id: string, now: number, fence?: Fence): Promise<void>;
  /**
   * Which of these shard ids an object not yet purged references, leaving out `exceptObjectId`. Objects
   * with the same content share shards, so this is the reference count that decides a shard's deletion.
   */
  referencedShards(shardIds: readonly string[], exceptObjectId?: string): Promise<Set<string>>;
}

/**
 * Deduplication: live objects with the same SHA-256 and size come to share one set of shards. A shard is
 * referenced by every object whose parts name it, and deleted only when no unpurged object does.
 */
export interface ContentSharing {
  /** Up to `limit` groups of live duplicates whose shards are not all shared yet. */
  duplicateGroups(limit: number): Promise<DuplicateGroup[]>;
  /**
   * In one transaction, if both objects are live with the same content and different shards: points
   * `duplicateId`'s parts at `canonicalId`'s shards and queues its former shards that nothing else
   * references as garbage. Returns those shards, or null when nothing changed.
   */
  share(canonicalId: string, duplicateId: string, now: number, fence?: Fence): Promise<GarbageShard[] | null>;
  /** How many live objects reference this object's shards, itself included (0 if it is not live). */
  sharers(objectId: string): Promise<number>;
}

/** Shards freed by deduplication, waiting for the cleaner. */
export interface ShardGarbage {
  /** Oldest first, on these nodes only (a down node's garbage must not hold up the others'). */
  pending(limit: number, nodeIds: readonly string[]): Promise<GarbageShard[]>;
  /** Takes shards off the queue (deleted, or found referenced after all). */
  remove(shardIds: readonly string[], fence?: Fence): Promise<void>;
}

export interface NodeRegistry {
  /** Inserts or refreshes a node (registration and heartbeat). */
  upsert(node: NodeReportRecord, now: number): Promise<void>;
  list(): Promise<NodeRecord[]>;
  /** Marks a node draining or retired, or clears the mark; false if no such node is registered. */
  setDrain(nodeId: string, drain: NodeDrain, now: number): Promise<boolean>;
}

export interface UploadIntents {
  create(intent: UploadIntent, fence?: Fence): Promise<void>;
  /** Marks a running upload as alive. */
  touch(id: string, now: number): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Removes the intent if it has not been refreshed since `updatedBefore`; true if this call removed it.
   * The cleaner claims an intent before deleting its shards, so the upload can no longer commit them.
   */
  claim(id: string, updatedBefore: number, fence?: Fence): Promise<boolean>;
  /** Intents not refreshed since `updatedBefore`, oldest first. */
  olderThan(updatedBefore: number, limit: number): Promise<UploadIntent[]>;
  /** Shard ids of every open intent (uploads in progress or abandoned) and of multipart uploads' parts. */
  openShardIds(): Promise<Set<string>>;
}

export interface AuditLog {
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first. */
  query(q: AuditQuery): Promise<AuditEntry[]>;
}

/** Time-limited exclusive leases, so one gateway at a time runs a background job. */
/**
 * A background pass's proof that it still holds its job's lease. A metadata change made with a fence checks,
 * in its own transaction, that the lease is still this holder's and unexpired (PostgreSQL: a shared row lock
 * on it, so no takeover can happen mid-commit) and fails with LeaseLostError otherwise: a pass that lost its
 * lease (its gateway stalled past the lease, the database was away) cannot remap shards behind the new holder.
 */
export interface Fence {
  readonly lease: string;
  readonly holder: string;
}

export interface Leases {
  /** Takes or renews the lease if it is free, expired, or already `holder`'s. */
  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** Who holds the lease now, and until when; undefined when it is free or expired. */
  holderOf(name: string, now: number): Promise<{ holder: string; expiresAt: number } | undefined>;
}

/**
 * What the repairer and the rebalancer need: which parts lost shards, and switching a part's shard to a
 * new copy. Shards are switched by shard id, so every object sharing the shard (deduplication) follows.
 */
export interface ShardPlacement {
  /** Notes a shard whose bytes failed a checksum or that its node no longer has. */
  reportDamaged(shard: { shardId: string; nodeId: string }, reason: string, now: number, fence?: Fence): Promise<void>;
  /** Shard ids reported damaged and not repaired yet. */
  damaged(limit: number): Promise<Set<string>>;
  /**
   * Parts of live objects with a shard on one of these nodes, a shard reported damaged, or fewer shards
   * than their scheme (committed under-replicated).
   */
  partsToRepair(lostNodeIds: readonly string[], limit: number): Promise<PartRef[]>;
  /** Forgets that a part was under-replicated, if it now has all its shards. */
  settle(part: PartRef, fence?: Fence): Promise<void>;
  /** Shards of live objects in shard id order after `afterShardId`, for the scrubber's sweep. */
  shardsAfter(afterShardId: string, limit: number): Promise<{ shardId: string; nodeId: string; size: number; blockSize: number }[]>;
  /** Shards on a node held by live objects, largest first (rebalancing candidates). */
  shardsOnNode(nodeId: string, limit: number): Promise<(ShardLocation & PartRef)[]>;
  /** How many distinct shards of live objects a node holds (what still depends on it). */
  countOnNode(nodeId: string): Promise<number>;
  /**
   * In one transaction: points every row naming `move.from` at the new copy (or, without `from`, adds
   * the shard to the part of every object sharing it), forgets damage reports of the old shard, queues
   * the old copy as garbage (deleted by the cleaner once its node is up), and drops the intent that
   * protected the new copy. Returns how many rows now name the new copies (0: no object uses the old
   * shards any more; the new copies are then orphans for the caller to delete).
   */
  moveShards(moves: readonly ShardMove[], intentId: string, now: number, fence?: Fence): Promise<number>;
}

/** S3 buckets. Objects of a bucket live in the object catalog under the bucket's name. */
export interface BucketCatalog {
  /** False if it already exists. With `owner`, that key is granted `owner` on it in the same transaction. */
  create(bucket: Bucket, owner?: string): Promise<boolean>;
  /** False if there is no such bucket. */
  setPublicRead(name: string, publicRead: boolean): Promise<boolean>;
  /** Replaces one of its settings (null removes it); false if there is no such bucket. */
  configure<K extends keyof BucketSettings>(name: string, setting: K, value: BucketSettings[K] | null): Promise<boolean>;
  find(name: string): Promise<Bucket | undefined>;
  /** By name. */
  list(): Promise<Bucket[]>;
  /** Removes the bucket (and every grant on it) only if it holds no live object and no multipart upload. */
  remove(name: string): Promise<'removed' | 'not-empty' | 'missing'>;
}

/**
 * S3 multipart uploads. Each uploaded part is striped on its own; its shards belong to the upload until
 * it is completed (they become the object's parts), aborted or expired (they become garbage).
 */
export interface MultipartUploads {
  create(upload: MultipartUpload): Promise<void>;
  find(id: string): Promise<MultipartUpload | undefined>;
  /** Uploads of a bucket by key, then creation time, after (key, id) `after`, keys starting with `prefix`. */
  list(bucket: string, query: { prefix: string; afterKey: string; afterId: string; limit: number }): Promise<MultipartUpload[]>;
  /**
   * In one transaction: records the part and drops its upload intent; a part uploaded before under the
   * same number is replaced and its shards queued as garbage. NoSuchUploadError if the upload is gone.
   */
  putPart(part: UploadedPart, intentId: string, now: number): Promise<void>;
  /** By part number. */
  parts(uploadId: string): Promise<UploadedPart[]>;
  /**
   * In one transaction: `build` makes the object from the upload's parts (and may throw to refuse),
   * the object is committed replacing any live one with its key, the shards of parts it does not use
   * are queued as garbage, and the upload is gone. NoSuchUploadError if it already was.
   */
  complete(uploadId: string, build: (upload: MultipartUpload, parts: readonly UploadedPart[]) => NewObject, now: number): Promise<{ object: NewObject; replaced: string | null }>;
  /** Drops the upload and queues its parts' shards as garbage; false if there was no such upload. */
  abort(uploadId: string, now: number, fence?: Fence): Promise<boolean>;
  /** Uploads created before `createdBefore`, oldest first (the cleaner expires them). */
  olderThan(createdBefore: number, limit: number): Promise<MultipartUpload[]>;
}

/** S3 access keys (`shardstore keys`). */
export interface AccessKeys {
  create(key: AccessKey): Promise<void>;
  find(accessKey: string): Promise<AccessKey | undefined>;
  /** Oldest first, secrets included (the CLI shows only the key ids). */
  list(): Promise<AccessKey[]>;
  /** False if there was no such key. Its grants go with it. */
  remove(accessKey: string): Promise<boolean>;
  /** Sets the key's access to a bucket, or takes it away (null); false if there is no such key. */
  grant(accessKey: string, bucket: string, access: BucketAccess | null): Promise<boolean>;
  /** Every grant, or one key's, by key and bucket. */
  grants(accessKey?: string): Promise<BucketGrant[]>;
  /** The key's access to the bucket, if it has any (administrators' is not recorded here). */
  accessTo(accessKey: string, bucket: string): Promise<BucketAccess | undefined>;
}

/** A schema migration, as `shardstore migrate` reports it. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
}

export interface MetadataStore {
  /** The migrations this open applied (opened with `migrate`); empty when the schema was already current. */
  readonly migrated: readonly AppliedMigration[];
  readonly objects: ObjectCatalog;
  readonly nodes: NodeRegistry;
  readonly intents: UploadIntents;
  readonly audit: AuditLog;
  readonly leases: Leases;
  readonly sharing: ContentSharing;
  readonly garbage: ShardGarbage;
  readonly placement: ShardPlacement;
  readonly accessKeys: AccessKeys;
  readonly buckets: BucketCatalog;
  readonly multipart: MultipartUploads;
  close(): Promise<void>;
}
