import type { AuditEntry, AuditQuery, NewObject, NodeRecord, ObjectRecord, UploadIntent } from './records.js';

/** Objects in a (bucket, key) namespace; at most one live object per key. */
export interface ObjectCatalog {
  findLive(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Makes the object visible and drops its upload intent in one transaction.
   * Throws KeyExistsError when a live object already has the key, and IntentGoneError when the intent
   * no longer exists (the cleaner claimed it): then nothing becomes visible.
   */
  commit(object: NewObject, intentId: string): Promise<void>;
  /** Any object by id, live, expired or purged. */
  findById(id: string): Promise<ObjectRecord | undefined>;
  /** The owner key hash stored with an object (file store), or null. */
  ownerKeyHash(id: string): Promise<string | null>;
  /** Sets expires_at if the object is live; false if it was already expired (or unknown). */
  expire(id: string, now: number): Promise<boolean>;
  /** Expired objects whose shards have not been purged yet, oldest expiry first. */
  expiredNotPurged(limit: number): Promise<ObjectRecord[]>;
  markPurged(id: string, now: number): Promise<void>;
  /** Which of these shard ids some object's metadata references. */
  referencedShards(shardIds: readonly string[]): Promise<Set<string>>;
}

export interface NodeRegistry {
  /** Inserts or refreshes a node (registration and heartbeat). */
  upsert(node: Omit<NodeRecord, 'firstSeen' | 'lastSeen'>, now: number): Promise<void>;
  list(): Promise<NodeRecord[]>;
}

export interface UploadIntents {
  create(intent: UploadIntent): Promise<void>;
  /** Marks a running upload as alive. */
  touch(id: string, now: number): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Removes the intent if it has not been refreshed since `updatedBefore`; true if this call removed it.
   * The cleaner claims an intent before deleting its shards, so the upload can no longer commit them.
   */
  claim(id: string, updatedBefore: number): Promise<boolean>;
  /** Intents not refreshed since `updatedBefore`, oldest first. */
  olderThan(updatedBefore: number, limit: number): Promise<UploadIntent[]>;
  /** Shard ids of every open intent (uploads in progress or abandoned). */
  openShardIds(): Promise<Set<string>>;
}

export interface AuditLog {
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first. */
  query(q: AuditQuery): Promise<AuditEntry[]>;
}

/** Time-limited exclusive leases, so one gateway at a time runs a background job. */
export interface Leases {
  /** Takes or renews the lease if it is free, expired, or already `holder`'s. */
  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
}

export interface MetadataStore {
  readonly objects: ObjectCatalog;
  readonly nodes: NodeRegistry;
  readonly intents: UploadIntents;
  readonly audit: AuditLog;
  readonly leases: Leases;
  close(): Promise<void>;
}
