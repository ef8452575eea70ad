import { shardByteRangeForStripes, type ErasureScheme } from '../core/erasure-scheme.js';
import { ChecksumMismatchError, ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import type { PartRecord, ShardLocation } from '../domain/records.js';
import { BlockReader } from '../streams/block-reader.js';
import { ChainedBlocks } from '../streams/chained-blocks.js';
import type { BlockSource } from '../core/block-frame.js';
import type { ReadServices } from './object-services.js';

/**
 * The reason every read is closed with. \`abort()\` without one creates a DOMException with a stack trace,
 * seven per GET (the read and its shards): measurable in a small-object GET profile.
 */
const READ_CLOSED = new Error('the read was closed');

/** What a round's deadline rejects with; each block still waiting turns it into its own error. */
const TIMED_OUT = Symbol('timed out');

/** Stripes in a shard read's first ranged request; the second asks for the rest. */
const FIRST_REQUEST_STRIPES = 1;

/**
 * A stripe being read: its wanted data blocks one by one as they are verified (`ready` when in, else
 * `block`), or all of them (`all`). A promise is made only for a block asked for before it is in: a small
 * object's GET, whose blocks mostly arrive together, should not pay one per block.
 */
export class StripeRead {
  private readonly got: (Buffer | undefined)[] = [];
  private waiting: { index: number; resolve: (block: Buffer) => void; reject: (reason: unknown) => void } | undefined;
  private failure: { reason: unknown } | undefined;
  /** Settles once every wanted block is in (valid until the next stripe starts). */
  all: Promise<readonly (Buffer | undefined)[]> = Promise.resolve([]);

  constructor(private readonly wanted: readonly number[]) {}

  /** Block `index` if it is in. */
  ready(index: number): Buffer | undefined {
    return this.got[index];
  }

  /** Block `index` once it is in; one block is waited for at a time. */
  block(index: number): Promise<Buffer> {
    const block = this.got[index];
    if (block) return Promise.resolve(block);
    if (this.failure) return Promise.reject(this.failure.reason);
    if (!this.wanted.includes(index)) return Promise.reject(new Error(`block ${index} was not asked for`));
    return new Promise((resolve, reject) => (this.waiting = { index, resolve, reject }));
  }

  arrived(index: number, block: Buffer): void {
    if (this.got[index]) return;
    this.got[index] = block;
    if (this.waiting?.index !== index) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(block);
  }

  completed(blocks: readonly (Buffer | undefined)[]): void {
    for (const i of this.wanted) this.arrived(i, blocks[i]!);
  }

  failed(reason: unknown): void {
    this.failure = { reason };
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(reason);
  }
}

interface Source {
  readonly shard: ShardLocation;
  readonly reader: Promise<BlockSource>;
  readonly abort: AbortController;
}

/**
 * Reads the stripes [first, last] of one part, row by row, from k shards in parallel, verifying every
 * block's checksum. A shard that fails (node down, refused, slow, or a bad checksum) is dropped and
 * the next unused shard — parity if the data shards are exhausted — is opened at the current stripe;
 * missing data blocks are then rebuilt with Reed-Solomon. Never serves a block that failed its check.
 */
export class PartReader {
  private readonly scheme: ErasureScheme;
  private readonly active = new Map<number, Source>();
  private readonly unusable = new Set<number>();
  private readonly abortAll = new AbortController();
  private rebuildData: Buffer | undefined;
  private rebuildParity: Buffer | undefined;

  constructor(
    private readonly svc: ReadServices,
    private readonly part: PartRecord,
    private readonly lastStripe: number,
    signal: AbortSignal,
    /** Shard indexes never to read (the repairer's lost and damaged shards). */
    avoid: Iterable<number> = [],
  ) {
    this.scheme = part.scheme;
    for (const index of avoid) this.unusable.add(index);
    signal.addEventListener('abort', () => this.abortAll.abort(signal.reason), { once: true });
  }

  /**
   * The k data blocks of stripe `s`, all verified or rebuilt. Stripes must be read in order, and the
   * blocks are reused buffers: valid only until the next stripe is started.
   */
  async readStripe(s: number): Promise<Buffer[]> {
    const blocks = await this.startStripe(s).all;
    return blocks as Buffer[];
  }

  /**
   * Starts reading stripe `s` for the data blocks `wanted` (all k unless told). Each wanted block can be
   * awaited on its own and settles as soon as it is verified, so a reader may send block 0 while the
   * others are still on their way; `all` settles once every wanted block is in, and only then may the next
   * stripe start. A healthy read asks only the shards it wants (a small range reads one node, not k); a
   * failure brings in k shards and rebuilds what is missing. The blocks are valid until the next stripe.
   * `leadAlone` asks for the first wanted block before the others (the first stripe of a long read).
   */
  startStripe(s: number, wanted: readonly number[] = this.allData, leadAlone = false): StripeRead {
    const read = new StripeRead(wanted);
    read.all = this.collect(s, wanted, leadAlone, (i, block) => read.arrived(i, block)).then(
      (blocks) => {
        read.completed(blocks);
        return blocks;
      },
      (error: unknown) => {
        read.failed(error);
        throw error;
      },
    );
    // A reader that stops early (the client went away) need not await what it no longer wants.
    read.all.catch(() => undefined);
    return read;
  }

  private get allData(): number[] {
    return [...Array(this.scheme.dataShards).keys()];
  }

  /** Reads stripe `s` until every wanted data block is in (rebuilding if it must); `arrived` hears each as it comes. */
  private async collect(s: number, wanted: readonly number[], leadAlone: boolean, arrived: (index: number, block: Buffer) => void): Promise<(Buffer | undefined)[]> {
    const { dataShards: k } = this.scheme;
    const got = new Map<number, Buffer>();
    const readRound = async (indexes: number[]) => {
      // One deadline for the round's blocks, which are all asked for at once: a timer and a promise per
      // block were among the largest allocations of a small GET's read path (sampling heap profile).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(TIMED_OUT), this.svc.readTimeoutMs)));
      late.catch(() => undefined);
      try {
        const results = await Promise.allSettled(
          indexes.map((i) =>
            this.nextBlock(i, s, late).then((block) => {
              got.set(i, block);
              if (i < k) arrived(i, block);
            }),
          ),
        );
        results.forEach((r, j) => {
          if (r.status === 'rejected') this.drop(indexes[j]!, r.reason);
        });
      } finally {
        clearTimeout(timer);
      }
    };
    if (leadAlone && this.active.size === 0 && wanted.length > 1) {
      // The first wanted block alone, the others once it is in: asked together, k node processes and the
      // gateway share the cores, and the first byte waits for the slowest of them.
      await readRound(this.openWanted(wanted.slice(0, 1), s));
    }
    // Every open shard moves on with the stripes, wanted or not, so that its next block is this stripe's.
    await readRound(this.openWanted(wanted, s).filter((i) => !got.has(i)));
    const complete = () => wanted.every((i) => got.has(i));
    if (!complete()) {
      while (got.size < k) await readRound(this.pickSources(k - got.size, got, s));
    }
    if (complete()) return [...Array(k).keys()].map((i) => got.get(i));
    return this.rebuild(got, wanted);
  }

  /** The open shards and the wanted data shards that can be opened (a healthy stripe reads just these). */
  private openWanted(wanted: readonly number[], s: number): number[] {
    const indexes = new Set(this.active.keys());
    for (const i of wanted) {
      if (indexes.has(i) || this.unusable.has(i)) continue;
      const shard = this.part.shards.find((x) => x.index === i);
      if (!shard || !this.svc.nodes.isUp(shard.nodeId)) {
        this.unusable.add(i);
        continue;
      }
      this.open(shard, s);
      indexes.add(i);
    }
    return [...indexes];
  }

  close(): void {
    this.abortAll.abort(READ_CLOSED);
    for (const source of this.active.values()) this.closeSource(source);
    this.active.clear();
  }

  /** The shard indexes to read stripe `s` from: the open ones first, then new ones, data before parity. */
  private pickSources(count: number, got: Map<number, Buffer>, s: number): number[] {
    const chosen = [...this.active.keys()].filter((i) => !got.has(i)).slice(0, count);
    const ordered = [...this.part.shards].sort((a, b) => a.index - b.index);
    for (const shard of ordered) {
      if (chosen.length >= count) break;
      const i = shard.index;
      if (got.has(i) || this.active.has(i) || this.unusable.has(i)) continue;
      if (!this.svc.nodes.isUp(shard.nodeId)) {
        this.unusable.add(i);
        continue;
      }
      this.open(shard, s);
      chosen.push(i);
    }
    if (chosen.length < count) {
      throw new ShardUnavailableError(
        `cannot read stripe ${s}: ${got.size + chosen.length} of the ${this.scheme.dataShards} shards needed are readable`,
      );
    }
    return chosen;
  }

  private open(shard: ShardLocation, fromStripe: number): void {
    const abort = new AbortController();
    const onAbort = () => abort.abort(READ_CLOSED);
    this.abortAll.signal.addEventListener('abort', onAbort, { once: true });
    const store = this.svc.nodes.store(shard.nodeId);
    const where = `shard ${shard.index} (${shard.shardId}) on node ${shard.nodeId}`;
    const { blockSize } = this.scheme;
    const { gcPacer: onChunk, blockBuffers: buffers } = this.svc;
    const range = (first: number, last: number) => shardByteRangeForStripes(this.scheme, first, last);
    const viaGet = (first: number, last: number): Promise<BlockSource> =>
      store.get(shard.shardId, range(first, last), abort.signal).then((body) => new BlockReader(body, blockSize, where, onChunk, buffers));
    // The first stripe is asked for on its own (a short read on the node's kept framed connection), the rest
    // once it has arrived: a node asked for the whole shard streams megabytes ahead at once, and on shared
    // cores the nodes that answered first starved those that had not yet, which put the first byte of a
    // large GET 30–60 ms out. The rest is a long read, straight into block buffers where the store can.
    const headLast = Math.min(this.lastStripe, fromStripe + FIRST_REQUEST_STRIPES - 1);
    const rest = (): Promise<BlockSource> =>
      store.openBlocks?.(shard.shardId, range(headLast + 1, this.lastStripe), { blockSize, where, signal: abort.signal, buffers, onChunk }) ??
      viaGet(headLast + 1, this.lastStripe);
    const head = viaGet(fromStripe, headLast);
    const reader = headLast === this.lastStripe ? head : head.then((first) => new ChainedBlocks(first, rest));
    reader.catch(() => undefined);
    this.active.set(shard.index, { shard, reader, abort });
  }

  /** The next block of shard `index`, or a failure once `late` (the round's deadline) rejects. */
  private async nextBlock(index: number, s: number, late: Promise<never>): Promise<Buffer> {
    const source = this.active.get(index)!;
    const where = () => `shard ${index} (${source.shard.shardId}) stripe ${s}`;
    let block: Buffer | undefined;
    try {
      block = await Promise.race([source.reader.then((r) => r.next()), late]);
    } catch (error) {
      throw error === TIMED_OUT ? new ShardUnavailableError(`timed out reading ${where()}`) : error;
    }
    if (!block) throw new ShardUnavailableError(`${where()} ended early`);
    return block;
  }

  private drop(index: number, reason: unknown): void {
    const source = this.active.get(index);
    this.active.delete(index);
    this.unusable.add(index);
    if (!source) return;
    this.closeSource(source);
    // The read was abandoned (the client went away): its shard reads failed because they were cut, which
    // says nothing about their nodes.
    if (this.abortAll.signal.aborted) return;
    reportShardFailure(this.svc, source.shard, reason);
  }

  private closeSource(source: Source): void {
    source.abort.abort(READ_CLOSED);
    source.reader.then((r) => r.close()).catch(() => undefined);
  }

  private async rebuild(got: Map<number, Buffer>, wanted: readonly number[]): Promise<Buffer[]> {
    const { dataShards: k, parityShards: m, blockSize: bs } = this.scheme;
    // Allocated on the first degraded stripe and reused for the rest of the read.
    this.rebuildData ??= Buffer.alloc(k * bs);
    this.rebuildParity ??= Buffer.alloc(m * bs);
    const present: boolean[] = [];
    for (let i = 0; i < k + m; i++) {
      const block = got.get(i);
      present.push(block !== undefined);
      if (block) block.copy(i < k ? this.rebuildData : this.rebuildParity, (i < k ? i : i - k) * bs);
    }
    // Only the absent data blocks wanted: an absent parity block, or data block not asked for, would be a wasted pass.
    const absentData = wanted.filter((i) => !present[i]);
    await this.svc.coderFor(this.scheme).reconstruct(this.rebuildData, this.rebuildParity, present, absentData);
    return [...Array(k).keys()].map((i) => this.rebuildData!.subarray(i * bs, (i + 1) * bs));
  }
}

/**
 * What a failed shard read means for the cluster: a corrupt or missing shard is queued for repair, an
 * unreachable node is taken out of use until its next heartbeat; counted in the metrics and logged.
 */
export function reportShardFailure(svc: ReadServices, shard: ShardLocation, reason: unknown): void {
  const corrupt = reason instanceof ChecksumMismatchError;
  const missing = reason instanceof ShardMissingError;
  svc.onShardReadFailure(corrupt ? 'corrupt' : missing ? 'missing' : 'unreachable');
  if (corrupt || missing) {
    // Bitrot or a lost file: the repairer rebuilds this shard elsewhere.
    svc.metadata.placement
      .reportDamaged(shard, corrupt ? 'checksum mismatch' : 'missing on its node', Date.now())
      .catch((error: unknown) => svc.log.error({ err: error }, 'could not record a damaged shard'));
  } else {
    // A node that cannot be reached is taken out of use until its next heartbeat.
    svc.nodes.markFailed(shard.nodeId);
  }
  svc.log.warn(
    { shard: shard.shardId, node: shard.nodeId, index: shard.index, err: (reason as Error)?.message },
    corrupt || missing ? 'damaged shard; rebuilding from parity and queued for repair' : 'shard read failed; falling back to another shard',
  );
}
