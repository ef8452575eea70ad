import { closeSync, fsync, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeHeader,
  encodeHeader,
  KIND_SHARD,
  KIND_TOMBSTONE,
  RECORD_HEADER,
  recordIntact,
  type RecordHeader,
} from './volume-format.js';

/** Where a small shard lives: its data's offset in a volume file. */
export interface VolumeEntry {
  volume: number;
  /** Offset of the record's header; the data follows it. */
  offset: number;
  size: number;
  createdMs: number;
}

interface Volume {
  id: number;
  path: string;
  handle: FileHandle;
  /** Bytes of the file: records, and whatever a crash or a bad disk left that is not one. */
  size: number;
  /** Bytes of the records the index points at. */
  live: number;
  readers: number;
  retired: boolean;
}

interface PendingAppend {
  buffers: Buffer[];
  length: number;
  onDurable(volume: Volume, offset: number): void;
  resolve(): void;
  reject(error: Error): void;
}

export interface VolumeStoreOptions {
  /** A volume that reaches this size is sealed and the next one started. */
  maxVolumeBytes?: number;
  /** A sealed volume whose live records fill less than this share of it is compacted. */
  compactBelow?: number;
  onError?: (error: Error, what: string) => void;
}

const SCAN_WINDOW = 4 * 1024 * 1024;
/** Reads up to this size are synchronous (see readEntry). */
const SYNC_READ_BYTES = 64 * 1024;

/**
 * Small shards packed into append-only volume files, as Haystack and SeaweedFS do, with an index in memory
 * rebuilt from the files at start. Concurrent appends are group-committed: one `writev` and one `fdatasync`
 * for every record queued while the previous batch was on its way to the disk, and no append is
 * acknowledged before the sync that covers it. Deletes append tombstones; sealed volumes that are mostly
 * dead are compacted (live records re-appended, the file removed). docs/decisions/0007-small-shard-volumes.md.
 */
export class VolumeStore {
  private readonly index = new Map<string, VolumeEntry>();
  private readonly volumes = new Map<number, Volume>();
  private active: Volume | undefined;
  private queue: PendingAppend[] = [];
  private writing = false;
  private compacting: Promise<void> | undefined;
  private liveBytes = 0;
  private syncs = 0;
  private readonly maxVolumeBytes: number;
  private readonly compactBelow: number;

  constructor(
    readonly dir: string,
    private readonly options: VolumeStoreOptions = {},
  ) {
    this.maxVolumeBytes = options.maxVolumeBytes ?? 64 * 1024 * 1024;
    this.compactBelow = options.compactBelow ?? 0.5;
  }

  /** Bytes of live shard data (headers and dead records not counted). */
  get used(): number {
    return this.liveBytes;
  }
  get count(): number {
    return this.index.size;
  }
  /** fdatasync calls so far: fewer than appends when appends arrive together. */
  get syncCount(): number {
    return this.syncs;
  }
  /** Bytes of every volume file, dead records included. */
  get fileBytes(): number {
    let total = 0;
    for (const v of this.volumes.values()) total += v.size;
    return total;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const ids = (await readdir(this.dir))
      .map((name) => /^(\d{8})\.vol$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const path = join(this.dir, volumeName(id));
      const handle = await open(path, 'r+');
      const volume: Volume = { id, path, handle, size: 0, live: 0, readers: 0, retired: false };
      this.volumes.set(id, volume);
      const { fileSize, clean } = await this.scan(volume);
      volume.size = fileSize;
      // Appends continue in the last volume only if it ends with a whole record; after a torn write (or worse)
      // a new volume starts, so no append can land on bytes that might still hold acknowledged records.
      if (clean && fileSize < this.maxVolumeBytes && id === ids[ids.length - 1]) this.active = volume;
    }
    for (const volume of this.volumes.values()) if (volume !== this.active) this.compactIfSparse(volume);
  }

  has(shardId: string): boolean {
    return this.index.has(shardId);
  }
  get(shardId: string): VolumeEntry | undefined {
    return this.index.get(shardId);
  }
  entries(): IterableIterator<[string, VolumeEntry]> {
    return this.index.entries();
  }

  /** Appends a shard; resolves once it is durable and readable. */
  append(shardId: string, data: readonly Buffer[], createdMs = Date.now()): Promise<void> {
    const size = data.reduce((n, b) => n + b.length, 0);
    const header = encodeHeader({ kind: KIND_SHARD, shardId, createdMs, size, aux: 0 }, data);
    return this.enqueue([header, ...data], RECORD_HEADER + size, (volume, offset) => {
      const previous = this.index.get(shardId);
      if (previous) this.forget(previous);
      this.index.set(shardId, { volume: volume.id, offset, size, createdMs });
      volume.live += RECORD_HEADER + size;
      this.liveBytes += size;
    });
  }

  /** Reads `length` bytes of a shard from `start`; undefined if the store has no such shard. */
  read(shardId: string, start: number, length: number): Promise<Buffer | undefined> {
    const entry = this.index.get(shardId);
    return entry ? this.readEntry(shardId, entry, start, length) : Promise.resolve(undefined);
  }

  /**
   * Reads from an entry looked up earlier: the bytes stay readable after the shard is deleted (a move by the
   * rebalancer) until its volume is compacted away; then undefined.
   */
  async readEntry(shardId: string, entry: VolumeEntry, start: number, length: number): Promise<Buffer | undefined> {
    if (start < 0 || length < 0 || start + length > entry.size) throw new RangeError(`bytes ${start}+${length} are outside shard ${shardId} (${entry.size} bytes)`);
    const volume = this.volumes.get(entry.volume);
    if (!volume) return undefined;
    volume.readers += 1;
    try {
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const position = entry.offset + RECORD_HEADER + start + done;
        // A small read runs on the event loop: the record is nearly always in the page cache (written
        // recently, or read with its neighbours), where pread takes a few µs, while a thread-pool
        // round trip costs ~45 µs of the loop's time plus two context switches (BENCHMARKS.md).
        const bytesRead =
          length - done <= SYNC_READ_BYTES
            ? readSync(volume.handle.fd, buffer, done, length - done, position)
            : (await volume.handle.read(buffer, done, length - done, position)).bytesRead;
        if (bytesRead === 0) throw new Error(`volume ${volume.id} ends inside shard ${shardId}`);
        done += bytesRead;
      }
      return buffer;
    } finally {
      volume.readers -= 1;
      if (volume.retired && volume.readers === 0) void this.dispose(volume);
    }
  }

  /** Deletes a shard (a tombstone appended, durable when this resolves); false if there was none. */
  async remove(shardId: string): Promise<boolean> {
    const entry = this.index.get(shardId);
    if (!entry) return false;
    // The index forgets the shard at once, so a read right after the delete already misses it.
    this.index.delete(shardId);
    this.forget(entry);
    await this.appendTombstone(shardId, entry.volume);
    return true;
  }

  /** Waits for a compaction under way; for tests and shutdown. */
  async settle(): Promise<void> {
    while (this.compacting) await this.compacting;
  }

  async close(): Promise<void> {
    await this.settle();
    for (const volume of this.volumes.values()) await volume.handle.close().catch(() => undefined);
    this.volumes.clear();
    this.active = undefined;
  }

  private appendTombstone(shardId: string, target: number): Promise<void> {
    const header = encodeHeader({ kind: KIND_TOMBSTONE, shardId, createdMs: Date.now(), size: 0, aux: target }, []);
    return this.enqueue([header], RECORD_HEADER, () => undefined);
  }

  private forget(entry: VolumeEntry): void {
    this.liveBytes -= entry.size;
    const volume = this.volumes.get(entry.volume);
    if (!volume) return;
    volume.live -= RECORD_HEADER + entry.size;
    this.compactIfSparse(volume);
  }

  private enqueue(buffers: Buffer[], length: number, onDurable: PendingAppend['onDurable']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ buffers, length, onDurable, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** The group commit: every append queued meanwhile goes out in one write and one sync. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        let volume: Volume | undefined;
        try {
          volume = await this.activeVolume();
          const buffers: Buffer[] = [];
          const offsets: number[] = [];
          let end = volume.size;
          for (const pending of batch) {
            offsets.push(end);
            end += pending.length;
            buffers.push(...pending.buffers);
          }
          await writeAllAt(volume.handle, buffers, volume.size);
          await volume.handle.datasync();
          this.syncs += 1;
          volume.size = end;
          batch.forEach((pending, i) => pending.onDurable(volume!, offsets[i]!));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          // Part of the batch may have reached the file: leave that volume (its scan will skip the debris) and
          // start a new one for the next batch.
          if (volume) {
            volume.size = Math.max(volume.size, (await volume.handle.stat().catch(() => ({ size: 0 }))).size);
            if (volume === this.active) this.active = undefined;
          }
          for (const pending of batch) pending.reject(error as Error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async activeVolume(): Promise<Volume> {
    if (this.active && this.active.size < this.maxVolumeBytes) return this.active;
    const sealed = this.active;
    let id = 1;
    for (const existing of this.volumes.keys()) id = Math.max(id, existing + 1);
    const path = join(this.dir, volumeName(id));
    const handle = await open(path, 'wx+');
    // The new file's directory entry must be durable before any record in it is acknowledged.
    await fsyncDir(this.dir);
    const volume: Volume = { id, path, handle, size: 0, live: 0, readers: 0, retired: false };
    this.volumes.set(id, volume);
    this.active = volume;
    if (sealed) this.compactIfSparse(sealed);
    return volume;
  }

  private compactIfSparse(volume: Volume): void {
    if (volume === this.active || volume.retired || this.compacting) return;
    if (volume.live >= volume.size * this.compactBelow) return;
    this.compacting = this.compact(volume)
      .catch((error: Error) => this.options.onError?.(error, `compaction of volume ${volume.id}`))
      .finally(() => (this.compacting = undefined));
  }

  /**
   * Re-appends the volume's live records (and the tombstones still needed: those whose target volume exists)
   * to the active volume, then removes the file. A crash in between leaves two copies of some records; the
   * later volume wins when the index is rebuilt, and the old file is compacted again.
   */
  private async compact(volume: Volume): Promise<void> {
    const moves: Promise<void>[] = [];
    await this.forEachRecord(volume, (header, record) => {
      if (header.kind === KIND_TOMBSTONE) {
        if (header.aux !== volume.id && this.volumes.has(header.aux)) moves.push(this.appendTombstone(header.shardId, header.aux));
        return;
      }
      const entry = this.index.get(header.shardId);
      if (!entry || entry.volume !== volume.id || entry.offset !== record.offset) return;
      const data = Buffer.from(record.buffer.subarray(record.at + RECORD_HEADER, record.at + RECORD_HEADER + header.size));
      let deadCopyIn: number | undefined;
      const copied = this.enqueue([encodeHeader(header, [data]), data], RECORD_HEADER + header.size, (target, offset) => {
        if (this.index.get(header.shardId) === entry) {
          volume.live -= RECORD_HEADER + header.size;
          this.index.set(header.shardId, { ...entry, volume: target.id, offset });
          target.live += RECORD_HEADER + header.size;
        } else deadCopyIn = target.id;
      });
      // Deleted while its copy was being written: the copy needs a tombstone of its own.
      moves.push(copied.then(() => (deadCopyIn === undefined ? undefined : this.appendTombstone(header.shardId, deadCopyIn))));
    });
    await Promise.all(moves);
    volume.retired = true;
    this.volumes.delete(volume.id);
    await unlink(volume.path);
    await fsyncDir(this.dir);
    if (volume.readers === 0) await this.dispose(volume);
  }

  private async dispose(volume: Volume): Promise<void> {
    await volume.handle.close().catch(() => undefined);
  }

  /** Rebuilds the index from one volume. */
  private scan(volume: Volume): Promise<{ fileSize: number; clean: boolean }> {
    return this.forEachRecord(volume, (header, record) => {
      if (header.kind === KIND_TOMBSTONE) {
        const entry = this.index.get(header.shardId);
        if (entry && entry.volume === header.aux) {
          this.index.delete(header.shardId);
          this.liveBytes -= entry.size;
          const holder = this.volumes.get(entry.volume);
          if (holder) holder.live -= RECORD_HEADER + entry.size;
        }
        return;
      }
      const previous = this.index.get(header.shardId);
      if (previous) {
        this.liveBytes -= previous.size;
        const holder = this.volumes.get(previous.volume);
        if (holder) holder.live -= RECORD_HEADER + previous.size;
      }
      this.index.set(header.shardId, { volume: volume.id, offset: record.offset, size: header.size, createdMs: header.createdMs });
      volume.live += RECORD_HEADER + header.size;
      this.liveBytes += header.size;
    });
  }

  /**
   * Calls `visit` for every intact record in file order. A record that is torn or fails its checksum is
   * skipped up to the next record magic, so one bad sector costs only the records it touches (their shards
   * are then missing here, and the gateway rebuilds them from parity). `clean` says nothing was skipped.
   */
  private async forEachRecord(
    volume: Volume,
    visit: (header: RecordHeader, record: { offset: number; buffer: Buffer; at: number }) => void,
  ): Promise<{ fileSize: number; clean: boolean }> {
    const fileSize = (await volume.handle.stat()).size;
    let window = Buffer.alloc(0);
    let windowStart = 0;
    const ensure = async (from: number, length: number): Promise<boolean> => {
      if (from + length > fileSize) return false;
      if (from >= windowStart && from + length <= windowStart + window.length) return true;
      const want = Math.min(Math.max(length, SCAN_WINDOW), fileSize - from);
      window = Buffer.allocUnsafe(want);
      const { bytesRead } = await volume.handle.read(window, 0, want, from);
      window = window.subarray(0, bytesRead);
      windowStart = from;
      return bytesRead >= length;
    };
    const nextMagic = async (from: number): Promise<number> => {
      while (from + 4 <= fileSize) {
        await ensure(from, Math.min(SCAN_WINDOW, fileSize - from));
        const found = window.indexOf(MAGIC_BYTES, from - windowStart);
        if (found >= 0) return windowStart + found;
        from = windowStart + window.length - 3;
      }
      return fileSize;
    };
    let offset = 0;
    let skipped = 0;
    while (offset < fileSize) {
      const header = (await ensure(offset, RECORD_HEADER)) ? decodeHeader(window, offset - windowStart) : undefined;
      const length = RECORD_HEADER + (header?.size ?? 0);
      if (header && (await ensure(offset, length)) && recordIntact(window, offset - windowStart, header.size)) {
        visit(header, { offset, buffer: window, at: offset - windowStart });
        offset += length;
        continue;
      }
      const next = await nextMagic(offset + 1);
      skipped += next - offset;
      offset = next;
    }
    if (skipped > 0) this.options.onError?.(new Error(`volume ${volume.id}: ${skipped} bytes are not whole records (a torn write or a bad disk); skipped`), 'volume scan');
    return { fileSize, clean: skipped === 0 };
  }
}

const MAGIC_BYTES = Buffer.from([0x53, 0x53, 0x56, 0x31]);
const volumeName = (id: number): string => `${String(id).padStart(8, '0')}.vol`;

/**
 * Writes every byte of the chunks (writev may write less than asked): at `position`, or with null at the
 * file's current position.
 */
export async function writeAllAt(handle: FileHandle, buffers: readonly Buffer[], position: number | null): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at ?? undefined);
    if (at !== null) at += bytesWritten;
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

/** A file system call failed because the path does not exist. */
export const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/**
 * Makes a directory's entries durable. Every caller has just created, renamed or removed an entry in it (or
 * is starting up), so the directory is in the kernel's caches and opening and closing it cannot wait for the
 * disk: both run on the event loop, and only the fsync goes to the thread pool (src/storage-node/read-only-file.ts
 * says what a trip there costs; a shard file's commit made three for this).
 */
const fsyncFd = promisify(fsync);

export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
