import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ShardListing } from '../node-protocol/protocol.js';
import { VolumeStore, isNotFound, type VolumeEntry } from './volume-store.js';
import { ShardExistsError, ShardWriter, type ShardWriterPlace } from './shard-writer.js';
import { OpenShards } from './open-shards.js';
import { ReadOnlyFile } from './read-only-file.js';
import { FanOutDirs, listShardFiles, migrateSplitLayout, shardFilePath } from './shard-layout.js';

export { ShardExistsError, ShardWriter };
export class ShardMissingError extends Error {}

/** An open shard: its size, and its bytes until `close` (even if the shard is deleted meanwhile). */
export interface ShardReader {
  size: number;
  /** The bytes [start, start + length); read into `into` (at least `length` long) when given. */
  read(start: number, length: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ShardFilesOptions {
  /** Shards of at most this many bytes are packed into volume files; larger ones get a file each. */
  smallShardBytes?: number;
  maxVolumeBytes?: number;
  onError?: (error: Error, what: string) => void;
  /** Told how many bytes went through a large shard's write (the node's minor-GC pacing). */
  onBytes?: (bytes: number) => void;
}

/**
 * The node's shards. Large ones are files, `shards/<last two hex digits of the id>/<id>`
 * (src/storage-node/shard-layout.ts), written temp file → fsync → rename → fsync of the directory, so a crash
 * leaves either the whole shard or only a temp file that start-up removes. Small ones (every shard of a small
 * object) are records in append-only volume files under `volumes/`, group-committed
 * (docs/decisions/0007-small-shard-volumes.md). Either way a shard is durable before it is acknowledged.
 */
export class ShardFiles {
  readonly shardsDir: string;
  readonly tmpDir: string;
  readonly volumes: VolumeStore;
  private readonly smallShardBytes: number;
  private readonly onBytes: (bytes: number) => void;
  private fileBytes = 0;
  private fileCount = 0;
  private readonly writerPlace: ShardWriterPlace;
  private readonly openShards = new OpenShards((shardId) => this.openFile(shardId));
  private readonly fanOut: FanOutDirs;

  constructor(
    readonly root: string,
    options: ShardFilesOptions = {},
  ) {
    this.shardsDir = join(root, 'shards');
    this.tmpDir = join(root, 'tmp');
    this.fanOut = new FanOutDirs(this.shardsDir);
    this.smallShardBytes = options.smallShardBytes ?? SMALL_SHARD_BYTES;
    this.onBytes = options.onBytes ?? (() => undefined);
    this.volumes = new VolumeStore(join(root, 'volumes'), { maxVolumeBytes: options.maxVolumeBytes, onError: options.onError });
    this.writerPlace = {
      volumes: this.volumes,
      smallShardBytes: this.smallShardBytes,
      tmpDir: this.tmpDir,
      pathOf: (shardId) => this.pathOf(shardId),
      ensureDir: (dir) => this.fanOut.ensure(dir),
      committed: (bytes) => {
        this.fileBytes += bytes;
        this.fileCount += 1;
      },
    };
  }

  get used(): number {
    return this.fileBytes + this.volumes.used;
  }
  get count(): number {
    return this.fileCount + this.volumes.count;
  }

  /**
   * Removes temp files left by a crash, moves shard files of the earlier split layout into the fan-out
   * directories, rebuilds the volume index and counts the shards on disk. Resolves with the number moved.
   */
  async init(): Promise<number> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.shardsDir, { recursive: true });
    await this.fanOut.load();
    const migrated = await migrateSplitLayout(this.shardsDir, this.fanOut);
    await this.volumes.open();
    this.fileBytes = 0;
    this.fileCount = 0;
    for await (const shard of this.listFiles()) {
      this.fileBytes += shard.size;
      this.fileCount += 1;
    }
    return migrated;
  }

  async close(): Promise<void> {
    await this.openShards.close();
    await this.volumes.close();
  }

  pathOf(shardId: string): string {
    return shardFilePath(this.shardsDir, shardId);
  }

  /** Stores a shard already in memory as a volume record (the framed channel's writes). */
  async writeSmall(shardId: string, data: readonly Buffer[]): Promise<number> {
    const size = data.reduce((n, b) => n + b.length, 0);
    if (size > this.smallShardBytes) throw new RangeError(`a shard of ${size} bytes is not small (at most ${this.smallShardBytes})`);
    if (this.volumes.has(shardId)) throw new ShardExistsError(`shard ${shardId} already exists`);
    await this.volumes.append(shardId, data);
    return size;
  }

  /** A shard to be written chunk by chunk (src/storage-node/shard-writer.ts); throws if it exists already. */
  create(shardId: string): ShardWriter {
    return new ShardWriter(this.writerPlace, shardId);
  }

  /** Streams `body` into the shard; the shard exists only if the whole body arrived and is durable. */
  async write(shardId: string, body: AsyncIterable<Buffer>): Promise<number> {
    const writer = this.create(shardId);
    const chunks = body[Symbol.asyncIterator]();
    try {
      // Chunks are gathered into writes of up to WRITE_BATCH bytes; most shards are a single small chunk, for
      // which a write stream's machinery cost more than the write itself.
      let batch: Buffer[] = [];
      let batched = 0;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        const chunk = next.value;
        this.onBytes(chunk.length);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) {
          await writer.append(batch, true);
          batch = [];
          batched = 0;
        }
      }
      await writer.append(batch, true);
      return await writer.commit();
    } catch (error) {
      await writer.abort();
      // Ends the body's stream if the failure was ours (the disk), not the sender's.
      await chunks.return?.(undefined).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Opens a shard for reading; it keeps reading the bytes even if the shard is deleted meanwhile (a move by
   * the rebalancer). The caller closes it. A shard file stays open a little while after (src/storage-node/open-shards.ts).
   */
  async openForRead(shardId: string): Promise<ShardReader> {
    const entry = this.volumes.get(shardId);
    if (entry) return this.volumeReader(shardId, entry);
    const { file, release } = await this.openShards.acquire(shardId);
    return {
      size: file.size,
      read: async (start, length, into) => {
        try {
          return await readFully(file, start, length, shardId, into);
        } catch (error) {
          // Opened again next time: a failing read says nothing good about the descriptor.
          void this.openShards.drop(shardId);
          throw error;
        }
      },
      close: release,
    };
  }

  private volumeReader(shardId: string, entry: VolumeEntry): ShardReader {
    const read = async (start: number, length: number, into?: Buffer): Promise<Buffer> => {
      // undefined: the volume was compacted meanwhile; the shard (if it still exists) has a new place.
      const bytes = (await this.volumes.readEntry(shardId, entry, start, length)) ?? (await this.volumes.read(shardId, start, length));
      if (!bytes) throw new ShardMissingError(`no shard ${shardId}`);
      if (!into) return bytes;
      bytes.copy(into, 0, 0, length);
      return into.subarray(0, length);
    };
    return {
      size: entry.size,
      read,
      close: () => Promise.resolve(),
    };
  }

  private async openFile(shardId: string): Promise<ReadOnlyFile> {
    try {
      return await ReadOnlyFile.open(this.pathOf(shardId));
    } catch (error) {
      if (isNotFound(error)) throw new ShardMissingError(`no shard ${shardId}`);
      throw error;
    }
  }

  async delete(shardId: string): Promise<boolean> {
    if (await this.volumes.remove(shardId)) return true;
    await this.openShards.drop(shardId);
    const path = this.pathOf(shardId);
    let size: number;
    try {
      size = (await stat(path)).size;
      await unlink(path);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    this.fileBytes -= size;
    this.fileCount -= 1;
    return true;
  }

  /** Deletes temp files not written to for `olderThanMs` (uploads that died without a clean abort). */
  async purgeTemp(olderThanMs: number): Promise<{ files: number; bytes: number }> {
    const cutoff = Date.now() - olderThanMs;
    let files = 0;
    let bytes = 0;
    for (const name of await readdir(this.tmpDir).catch(() => [] as string[])) {
      const path = join(this.tmpDir, name);
      const s = await stat(path).catch(() => undefined);
      if (!s || s.mtimeMs >= cutoff) continue;
      if (await unlink(path).then(() => true, () => false)) {
        files += 1;
        bytes += s.size;
      }
    }
    return { files, bytes };
  }

  /** Every shard with its size and age. */
  async *list(): AsyncGenerator<ShardListing> {
    yield* this.listFiles();
    const now = Date.now();
    for (const [id, entry] of this.volumes.entries()) {
      yield { id, size: entry.size, age: Math.max(0, Math.floor((now - entry.createdMs) / 1000)) };
    }
  }

  /** The shards kept as files. */
  private async *listFiles(): AsyncGenerator<ShardListing> {
    const now = Date.now();
    for await (const { id, path } of listShardFiles(this.shardsDir)) {
      const s = await stat(path).catch(() => undefined);
      if (s) yield { id, size: s.size, age: Math.max(0, Math.floor((now - s.mtimeMs) / 1000)) };
    }
  }
}

/** Bytes gathered from the request before one write to the shard file. */
const WRITE_BATCH = 256 * 1024;

/**
 * Shards up to this size go into volumes: every shard of an object below about 384 KiB at 6 + 2. Larger
 * ones are few per byte stored, and a file each keeps them out of compaction's way.
 */
export const SMALL_SHARD_BYTES = 64 * 1024;

async function readFully(file: ReadOnlyFile, start: number, length: number, shardId: string, into?: Buffer): Promise<Buffer> {
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const bytesRead = await file.read(buffer, read, length - read, start + read);
    if (bytesRead === 0) throw new Error(`shard ${shardId} ended at ${start + read} of ${file.size} bytes`);
    read += bytesRead;
  }
  return buffer;
}
