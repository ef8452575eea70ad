import { ShardstoreError } from '../core/errors.js';
import type { ByteRange } from '../core/byte-range.js';
import { isParityShard } from '../core/erasure-scheme.js';
import { newObjectId } from '../core/ids.js';
import type { ListQuery, NewObject, ObjectListEntry, ObjectRecord } from '../domain/records.js';
import { auditEntry, type Caller } from './caller.js';
import type { ObjectServices } from './object-services.js';
import { putObject, type PutObjectInput, type StoredObject } from './put-object.js';
import { readObject, readSmall } from './read-object.js';

/** Failures that refuse an upload before it starts: not worth an `abort` entry. */
const REFUSALS = new Set(['KEY_EXISTS', 'INVALID_KEY', 'INVALID_REQUEST', 'OBJECT_TOO_LARGE']);

/** What a copy changes: where it goes and, when the caller replaces them, its type and headers. */
export interface CopyTarget {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | null;
  readonly headers: Readonly<Record<string, string>> | null;
}

/**
 * The object use cases: every API surface (path API, file store, S3, browse and operator routes) finds,
 * stores, reads, copies, lists and deletes objects through these, and each action is logged here, once.
 */
export class ObjectStore {
  constructor(private readonly svc: ObjectServices) {}

  findLive(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return this.svc.metadata.objects.findLive(bucket, key);
  }

  /** An object by id, expired ones included (the file store answers 410 for those). */
  findById(id: string): Promise<ObjectRecord | undefined> {
    return this.svc.metadata.objects.findById(id);
  }

  ownerKeyHash(id: string): Promise<string | null> {
    return this.svc.metadata.objects.ownerKeyHash(id);
  }

  list(bucket: string, query: ListQuery): Promise<ObjectListEntry[]> {
    return this.svc.metadata.objects.list(bucket, query);
  }

  /** Live objects and bytes, and the bytes shared by deduplicated objects. */
  totals(): Promise<{ objects: number; bytes: number; sharedBytes: number }> {
    return this.svc.metadata.objects.totals();
  }

  /** Stores an upload and logs it: `create` when committed, `abort` when it fails midway, and the object it replaced. */
  async put(input: PutObjectInput, caller: Caller): Promise<StoredObject> {
    const started = Date.now();
    try {
      const stored = await putObject(this.svc, input);
      const { object } = stored;
      this.svc.audit.record(auditEntry(caller, 'create', object, object.size, Date.now() - started, 'ok'));
      this.recordReplaced(caller, object, stored.replaced);
      return stored;
    } catch (error) {
      const code = error instanceof ShardstoreError ? error.code : 'INTERNAL';
      if (!REFUSALS.has(code)) {
        this.svc.audit.record(
          auditEntry(caller, 'abort', { id: input.objectId ?? null, bucket: input.bucket, key: input.key }, caller.bytesIn(), Date.now() - started, code),
        );
      }
      throw error;
    }
  }

  /** The bytes of an object (a range of it), verified, rebuilt from parity where a shard fails. */
  read(object: ObjectRecord, range: ByteRange | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
    return readObject(this.svc, object, range, signal);
  }

  /**
   * The wanted bytes, verified, in one round of single-message shard reads when they are few and lie in one
   * stripe (a small object, a short range); undefined otherwise or if that round failed — `read` then
   * streams them, with parity.
   */
  readSmall(object: ObjectRecord, range: ByteRange | undefined): Promise<Buffer[] | undefined> {
    return readSmall(this.svc, object, range);
  }

  /** Logs a download once its response has ended, complete or not. */
  recordDownload(caller: Caller, object: ObjectRecord, bytes: number, durationMs: number, complete: boolean): void {
    this.svc.audit.record(auditEntry(caller, 'download', object, bytes, durationMs, complete ? 'ok' : 'interrupted'));
  }

  /**
   * Deletes a live object: it is expired now, and its shards are purged by the cleaner after the grace
   * period. Returns false when it was already expired (lost a race with another delete).
   */
  async expire(object: ObjectRecord, caller: Caller): Promise<boolean> {
    const started = Date.now();
    if (!(await this.svc.metadata.objects.expire(object.id, Date.now()))) return false;
    this.svc.audit.record(auditEntry(caller, 'expire', object, 0, Date.now() - started, 'ok'));
    return true;
  }

  /** Replaces a live object's stored headers (S3 tagging); false when it is no longer live. */
  setHeaders(object: ObjectRecord, headers: Readonly<Record<string, string>>): Promise<boolean> {
    return this.svc.metadata.objects.setHeaders(object, headers);
  }

  /** Deletes the live object at a key, if there is one; returns whether one was deleted. */
  async expireKey(bucket: string, key: string, caller: Caller): Promise<boolean> {
    const object = await this.findLive(bucket, key);
    return object !== undefined && this.expire(object, caller);
  }

  /**
   * A copy of an object under another key (or the same key with new headers): it names the source's
   * shards, so no bytes move (shards are reference-counted), and replaces a live object at the target.
   */
  async copy(source: ObjectRecord, target: CopyTarget, caller: Caller): Promise<ObjectRecord> {
    const object: NewObject = {
      id: newObjectId(),
      bucket: target.bucket,
      key: target.key,
      size: source.size,
      etag: source.etag,
      sha256: source.sha256,
      contentType: target.contentType,
      name: null,
      headers: target.headers,
      createdAt: Date.now(),
      parts: [],
    };
    const { replaced } = await this.svc.metadata.objects.commit(object, null, { replace: true, bucketMustExist: true, partsOf: source.id });
    this.svc.audit.record(auditEntry(caller, 'create', object, 0, 0, 'copy'));
    this.recordReplaced(caller, object, replaced);
    return { ...object, parts: source.parts, expiresAt: null, deletedAt: null };
  }

  /** An object's record for operators: sizes, digests, dates and the shard map (which node holds which shard). */
  async describe(object: ObjectRecord) {
    const urls = new Map(this.svc.nodes.list().map((n) => [n.id, n.url]));
    return {
      id: object.id,
      key: object.key,
      size: object.size,
      etag: object.etag,
      sha256: object.sha256,
      contentType: object.contentType,
      created: new Date(object.createdAt).toISOString(),
      // Objects with the same content share one set of shards; this one included.
      sharedBy: await this.svc.metadata.sharing.sharers(object.id),
      parts: object.parts.map((p) => ({
        partNo: p.partNo,
        offset: p.offset,
        size: p.size,
        scheme: p.scheme,
        shards: p.shards.map((s) => ({
          index: s.index,
          kind: isParityShard(p.scheme, s.index) ? 'parity' : 'data',
          node: s.nodeId,
          nodeUrl: urls.get(s.nodeId) ?? null,
          shardId: s.shardId,
          size: s.size,
        })),
      })),
    };
  }

  /** The object an overwrite replaced is expired like a deleted one: logged, and purged by the cleaner. */
  recordReplaced(caller: Caller, by: { bucket: string; key: string }, replaced: string | null): void {
    if (replaced) this.svc.audit.record(auditEntry(caller, 'expire', { id: replaced, bucket: by.bucket, key: by.key }, 0, 0, 'replaced'));
  }
}

/** How many bytes a read of `range` (or of the whole object) answers with. */
export { responseLength } from './read-object.js';
