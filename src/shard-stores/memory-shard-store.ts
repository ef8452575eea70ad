import { ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import type { NodeStatus, ShardListing, ShardSink, ShardStore, TempPurge } from '../domain/shard-store.js';

interface HeldShard {
  readonly bytes: Buffer;
  readonly at: number;
}

/**
 * A storage node's shards held in memory, behind the same `ShardStore` port as a real node: the use cases
 * and jobs run on it in unit tests, with faults injected (`down`, `corrupt`, `lose`) and time supplied by
 * the test. Its behaviour is the contract of src/shard-stores/shard-store.contract.ts, which the HTTP
 * store passes against a real node too.
 */
export class MemoryShardStore implements ShardStore {
  private readonly shards = new Map<string, HeldShard>();
  /** Uploads begun and not ended: a node's temp files. */
  private readonly temp = new Map<string, { bytes: number; at: number }>();
  /** While true, every call fails as an unreachable node's would. */
  down = false;
  /** Shard reads asked of this node, for tests. */
  reads = 0;
  /** While set, shard reads wait for it: a slow node. */
  stall: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly url: string,
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(shardId: string, size?: number): ShardSink {
    const chunks: Buffer[] = [];
    let gathered = 0;
    let ended = false;
    const tempId = `${shardId}.${this.temp.size}.${this.now()}`;
    this.temp.set(tempId, { bytes: 0, at: this.now() });
    return {
      write: async (chunk) => {
        this.reachable();
        if (ended) throw new ShardUnavailableError(`shard ${shardId}: write after end or abort`);
        gathered += chunk.length;
        if (size !== undefined && gathered > size) throw new ShardUnavailableError(`shard ${shardId} is larger than the ${size} bytes announced`);
        // Copied: the caller reuses its buffer once the write resolves.
        chunks.push(Buffer.from(chunk));
        this.temp.set(tempId, { bytes: gathered, at: this.now() });
      },
      end: async () => {
        this.reachable();
        if (ended) throw new ShardUnavailableError(`the upload of shard ${shardId} was aborted`);
        ended = true;
        this.temp.delete(tempId);
        if (this.shards.has(shardId)) throw new ShardUnavailableError(`node ${this.url} refused shard ${shardId}: 409 it exists`);
        const bytes = Buffer.concat(chunks);
        if (this.used() + bytes.length > this.capacity) throw new ShardUnavailableError(`node ${this.url} refused shard ${shardId}: 507 full`);
        this.shards.set(shardId, { bytes, at: this.now() });
        return bytes.length;
      },
      abort: () => {
        ended = true;
        this.temp.delete(tempId);
      },
    };
  }

  async get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    this.reachable();
    this.reads++;
    if (this.stall) await this.stall;
    signal.throwIfAborted();
    const held = this.shards.get(shardId);
    if (!held) throw new ShardMissingError(`node ${this.url} could not serve shard ${shardId}: 404`);
    if (range && (range.start > range.end || range.end >= held.bytes.length)) {
      throw new ShardUnavailableError(`node ${this.url} could not serve shard ${shardId}: 416`);
    }
    const bytes = range ? held.bytes.subarray(range.start, range.end + 1) : held.bytes;
    return chunked(bytes, 64 * 1024);
  }

  /** In pieces of at most 1,500 bytes, as a network might deliver them, so that callers handle pieces. */
  async readBytes(shardId: string, range: { start: number; end: number }): Promise<readonly Buffer[]> {
    const pieces: Buffer[] = [];
    for await (const chunk of await this.get(shardId, range, new AbortController().signal)) {
      for (let at = 0; at < chunk.length; at += 1500) pieces.push(Buffer.from(chunk.subarray(at, at + 1500)));
    }
    return pieces;
  }

  async delete(shardId: string): Promise<boolean> {
    this.reachable();
    return this.shards.delete(shardId);
  }

  async status(): Promise<NodeStatus> {
    this.reachable();
    return { id: this.id, url: this.url, capacity: this.capacity, used: this.used(), shards: this.shards.size };
  }

  async *list(): AsyncIterable<ShardListing> {
    this.reachable();
    const now = this.now();
    for (const [id, held] of [...this.shards]) yield { id, size: held.bytes.length, age: Math.floor((now - held.at) / 1000) };
  }

  async purgeTemp(olderThanSeconds: number): Promise<TempPurge> {
    this.reachable();
    const cutoff = this.now() - olderThanSeconds * 1000;
    let files = 0;
    let bytes = 0;
    for (const [id, t] of this.temp) {
      if (t.at > cutoff) continue;
      this.temp.delete(id);
      files += 1;
      bytes += t.bytes;
    }
    return { files, bytes };
  }

  async close(): Promise<void> {}

  /** Shard ids held, for tests. */
  ids(): string[] {
    return [...this.shards.keys()];
  }

  has(shardId: string): boolean {
    return this.shards.has(shardId);
  }

  /** Flips one byte of a stored shard, as a bad disk would. */
  corrupt(shardId: string, offset = 0): void {
    const held = this.shards.get(shardId);
    if (!held) throw new Error(`no shard ${shardId}`);
    held.bytes[offset] = (held.bytes[offset] ?? 0) ^ 0xff;
  }

  /** Loses a stored shard, as a deleted file would. */
  lose(shardId: string): void {
    this.shards.delete(shardId);
  }

  /** Uploads begun and not ended (the node's temp files). */
  tempCount(): number {
    return this.temp.size;
  }

  used(): number {
    let sum = 0;
    for (const held of this.shards.values()) sum += held.bytes.length;
    return sum;
  }

  private reachable(): void {
    if (this.down) throw new ShardUnavailableError(`node ${this.url} is unreachable`);
  }
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}
