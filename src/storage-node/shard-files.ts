import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, dirname, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ShardListing } from '../node-protocol/protocol.js';

export class ShardExistsError extends Error {}
export class ShardMissingError extends Error {}

/**
 * The node's shard files. A shard id (a GUID) split at its dashes is the shard's path under
 * `shards/`, the layout of the user's first document. Writes are durable before they are
 * acknowledged: temp file → fsync → rename → fsync of the directory (and of any directory created
 * for it), so a crash leaves either the whole shard or only a temp file that start-up removes.
 */
export class ShardFiles {
  readonly shardsDir: string;
  readonly tmpDir: string;
  private usedBytes = 0;
  private shardCount = 0;

  constructor(readonly root: string) {
    this.shardsDir = join(root, 'shards');
    this.tmpDir = join(root, 'tmp');
  }

  get used(): number {
    return this.usedBytes;
  }
  get count(): number {
    return this.shardCount;
  }

  /** Removes temp files left by a crash and counts the shards on disk. */
  async init(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.shardsDir, { recursive: true });
    this.usedBytes = 0;
    this.shardCount = 0;
    for await (const shard of this.list()) {
      this.usedBytes += shard.size;
      this.shardCount += 1;
    }
  }

  pathOf(shardId: string): string {
    return join(this.shardsDir, ...shardId.split('-'));
  }

  /** Streams `body` into the shard; the shard exists only if the whole body arrived and is durable. */
  async write(shardId: string, body: Readable): Promise<number> {
    const finalPath = this.pathOf(shardId);
    if (await exists(finalPath)) throw new ShardExistsError(`shard ${shardId} already exists`);
    const tmpPath = join(this.tmpDir, `${shardId}.${randomBytes(4).toString('hex')}`);
    let size = 0;
    try {
      const handle = await open(tmpPath, 'wx');
      try {
        // Chunks go to the file as they arrive, gathered into writes of up to WRITE_BATCH bytes; most shards
        // are a single small chunk, for which a write stream's machinery cost more than the write itself.
        let batch: Buffer[] = [];
        let batched = 0;
        for await (const chunk of body as AsyncIterable<Buffer>) {
          batch.push(chunk);
          batched += chunk.length;
          if (batched >= WRITE_BATCH) {
            await writeAll(handle, batch);
            size += batched;
            batch = [];
            batched = 0;
          }
        }
        await writeAll(handle, batch);
        size += batched;
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
    try {
      const dir = dirname(finalPath);
      const firstCreated = await mkdir(dir, { recursive: true });
      await rename(tmpPath, finalPath);
      await fsyncDir(dir);
      if (firstCreated !== undefined) {
        // New directories are durable only once their parents' entries are: walk up to the first one.
        for (let d = dirname(dir); ; d = dirname(d)) {
          await fsyncDir(d);
          if (d === dirname(firstCreated) || d === this.shardsDir) break;
        }
      }
    } catch (error) {
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
    this.usedBytes += size;
    this.shardCount += 1;
    return size;
  }

  async size(shardId: string): Promise<{ size: number; mtimeMs: number }> {
    try {
      const s = await stat(this.pathOf(shardId));
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch (error) {
      if (isNotFound(error)) throw new ShardMissingError(`no shard ${shardId}`);
      throw error;
    }
  }

  /**
   * Opens a shard for reading: its size and an open handle, which keeps reading the bytes even if the shard
   * is deleted meanwhile (a move by the rebalancer). The caller closes the handle.
   */
  async openForRead(shardId: string): Promise<{ handle: FileHandle; size: number }> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(shardId), 'r');
    } catch (error) {
      if (isNotFound(error)) throw new ShardMissingError(`no shard ${shardId}`);
      throw error;
    }
    try {
      return { handle, size: (await handle.stat()).size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(shardId: string): Promise<boolean> {
    const path = this.pathOf(shardId);
    let size: number;
    try {
      size = (await stat(path)).size;
      await unlink(path);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    this.usedBytes -= size;
    this.shardCount -= 1;
    // Shard directories are per-id; remove the ones this delete emptied so no empty tree is left behind.
    for (let d = dirname(path); d !== this.shardsDir; d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        break;
      }
    }
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

  /** Every shard with its size and age, walking the fan-out tree. */
  async *list(): AsyncGenerator<ShardListing> {
    const now = Date.now();
    const walk = async function* (this: ShardFiles, dir: string): AsyncGenerator<ShardListing> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) yield* walk.call(this, path);
        else if (entry.isFile()) {
          const s = await stat(path).catch(() => undefined);
          if (!s) continue;
          const id = relative(this.shardsDir, path).split(sep).join('-');
          yield { id, size: s.size, age: Math.max(0, Math.floor((now - s.mtimeMs) / 1000)) };
        }
      }
    };
    yield* walk.call(this, this.shardsDir);
  }
}

/** Bytes gathered from the request before one write to the shard file. */
const WRITE_BATCH = 256 * 1024;

/** Writes every byte of the chunks at the file's position (writev may write less than asked). */
async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const chunk of rest) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        next.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    rest = next;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';
