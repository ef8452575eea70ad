import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, isNotFound, writeAllAt, type VolumeStore } from './volume-store.js';

export class ShardExistsError extends Error {}

/** What a shard writer needs of the node's shards. */
export interface ShardWriterPlace {
  readonly volumes: VolumeStore;
  readonly smallShardBytes: number;
  readonly tmpDir: string;
  pathOf(shardId: string): string;
  /** Resolves once `dir`, a shard file's directory, exists durably. */
  ensureDir(dir: string): Promise<void>;
  /** A shard file of `bytes` became durable under its id. */
  committed(bytes: number): void;
}

/**
 * One shard being written: its bytes appended in order, then committed (durable under its id, acknowledged
 * only then) or aborted (nothing left behind). The first bytes are gathered in memory: a shard that ends
 * within the small-shard limit becomes a volume record, anything longer a file of its own, written temp
 * file → fsync → rename → fsync of the directory.
 *
 * `append` has written (or copied) its chunks by the time it resolves, so a caller may refill the same
 * buffers for the next append: a rebuild writes every stripe from one set of buffers. A caller that hands its
 * chunks over for good (network buffers) says so with `owned`, and the small-shard gathering keeps them
 * instead of copying.
 */
export class ShardWriter {
  private head: Buffer[] = [];
  private headBytes = 0;
  private file: { handle: FileHandle; tmpPath: string; writeBehind: WriteBehind } | undefined;
  private size = 0;
  private over = false;

  constructor(
    private readonly place: ShardWriterPlace,
    readonly shardId: string,
  ) {
    if (place.volumes.has(shardId)) throw new ShardExistsError(`shard ${shardId} already exists`);
  }

  async append(chunks: readonly Buffer[], owned = false): Promise<void> {
    if (this.over) throw new Error(`shard ${this.shardId} is already committed or aborted`);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    if (bytes === 0) return;
    if (this.file) return this.writeToFile(chunks, bytes);
    for (const chunk of chunks) this.head.push(owned ? chunk : Buffer.from(chunk));
    this.headBytes += bytes;
    if (this.headBytes <= this.place.smallShardBytes) return;
    // Longer than a volume record: from now on a file, the gathered bytes first.
    await this.openFile();
    const head = this.head;
    this.head = [];
    await this.writeToFile(head, this.headBytes);
  }

  /** Makes the shard durable under its id; resolves with its size. */
  async commit(): Promise<number> {
    if (this.over) throw new Error(`shard ${this.shardId} is already committed or aborted`);
    this.over = true;
    if (!this.file) {
      await this.place.volumes.append(this.shardId, this.head);
      return this.headBytes;
    }
    const { handle, tmpPath, writeBehind } = this.file;
    try {
      try {
        await writeBehind.settle();
        await handle.sync();
      } finally {
        await writeBehind.settle().catch(() => undefined);
        await handle.close();
      }
      const finalPath = this.place.pathOf(this.shardId);
      const dir = dirname(finalPath);
      await this.place.ensureDir(dir);
      await rename(tmpPath, finalPath);
      await fsyncDir(dir);
    } catch (error) {
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
    this.place.committed(this.size);
    return this.size;
  }

  /** Drops what was written; the shard never existed. */
  async abort(): Promise<void> {
    if (this.over) return;
    this.over = true;
    this.head = [];
    if (!this.file) return;
    const { handle, tmpPath, writeBehind } = this.file;
    await writeBehind.settle().catch(() => undefined);
    await handle.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
  }

  private async openFile(): Promise<void> {
    // Checked only for shards that become files: a failed stat builds an error with a stack, which cost more
    // than the whole volume append of a small shard.
    if (await exists(this.place.pathOf(this.shardId))) throw new ShardExistsError(`shard ${this.shardId} already exists`);
    const tmpPath = join(this.place.tmpDir, `${this.shardId}.${randomBytes(4).toString('hex')}`);
    const handle = await open(tmpPath, 'wx');
    this.file = { handle, tmpPath, writeBehind: new WriteBehind(handle) };
  }

  private async writeToFile(chunks: readonly Buffer[], bytes: number): Promise<void> {
    const file = this.file!;
    await writeAllAt(file.handle, chunks, null);
    this.size += bytes;
    file.writeBehind.written(bytes);
  }
}

/** Bytes written to a shard file between write-backs started while it streams in. */
const WRITE_BEHIND_BYTES = 16 * 1024 * 1024;

/**
 * Starts a flush of the shard file every WRITE_BEHIND_BYTES while the rest still streams in, without
 * waiting for it. With 24 GiB of RAM the kernel starts write-back only past ~2.4 GB of dirty pages, so a
 * large shard otherwise reached the disk all at once in the final fsync, with the CPUs idle meanwhile; now
 * the disk works while the network does, and the fsync that acknowledges the shard finds little left.
 */
class WriteBehind {
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  private since = 0;

  constructor(private readonly handle: FileHandle) {}

  written(bytes: number): void {
    if (this.failure !== undefined) throw this.failure;
    this.since += bytes;
    if (this.since < WRITE_BEHIND_BYTES || this.flushing) return;
    this.since = 0;
    this.flushing = this.handle.datasync().then(
      () => (this.flushing = undefined),
      (error: unknown) => {
        this.failure = error;
        this.flushing = undefined;
      },
    );
  }

  /** Waits for the flush in progress; throws if any failed. */
  async settle(): Promise<void> {
    await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
