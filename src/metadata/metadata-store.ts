import type { AuditEntry, NewObject, NodeRecord, ObjectRecord, UploadIntent } from './records.js';

/** Objects in a (bucket, key) namespace; at most one live object per key. */
export interface ObjectCatalog {
  findLive(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Makes the object visible and drops its upload intent in one transaction.
   * Throws KeyExistsError when a live object already has the key.
   */
  commit(object: NewObject, intentId: string): Promise<void>;
}

export interface NodeRegistry {
  /** Inserts or refreshes a node (registration and heartbeat). */
  upsert(node: Omit<NodeRecord, 'firstSeen' | 'lastSeen'>, now: number): Promise<void>;
  list(): Promise<NodeRecord[]>;
}

export interface UploadIntents {
  create(intent: UploadIntent): Promise<void>;
  remove(id: string): Promise<void>;
  olderThan(createdBefore: number, limit: number): Promise<UploadIntent[]>;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
}

export interface MetadataStore {
  readonly objects: ObjectCatalog;
  readonly nodes: NodeRegistry;
  readonly intents: UploadIntents;
  readonly audit: AuditLog;
  close(): Promise<void>;
}
