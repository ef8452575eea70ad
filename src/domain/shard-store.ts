import type { BlockSource } from '../core/block-frame.js';

/** What a node reports about itself: identity, address, capacity and usage. */
export interface NodeStatus {
  readonly id: string;
  readonly url: string;
  readonly capacity: number;
  readonly used: number;
  readonly shards: number;
  /** Host and device of the node's file system: a file system shared by nodes counts once. */
  readonly fsId?: string | undefined;
  /** Bytes free on that file system now. */
  readonly fsFree?: number | undefined;
  readonly version?: number | undefined;
}

/** One shard a node holds, as its listing reports it. */
export interface ShardListing {
  id: string;
  size: number;
  /** Seconds since the shard file was last modified. */
  age: number;
}

/** What a purge of a node's temp files removed. */
export interface TempPurge {
  files: number;
  bytes: number;
}

/** A shard being written: frames go in order; each write resolves once its bytes left the process. */
export interface ShardSink {
  /** Resolves when the chunk has been handed to the kernel, so the caller may reuse its buffer. */
  write(chunk: Buffer): Promise<void>;
  /** Ends the shard; resolves with its stored size once the node has made it durable. */
  end(): Promise<number>;
  /** Stops the upload; the node discards the temp file. */
  abort(reason?: unknown): void;
}

/** How the blocks of a long read are read. */
export interface BlockReadOptions {
  readonly blockSize: number;
  /** Says which shard on which node, in errors. */
  readonly where: string;
  readonly signal: AbortSignal;
  /** Where block buffers come from and go back to, by size. */
  readonly buffers?: { acquire(size: number): Buffer; release(buffer: Buffer): void } | undefined;
  /** Told of every piece received (the gateway's minor-GC pacing of fresh network buffers). */
  readonly onChunk?: ((bytes: number) => void) | undefined;
}

/** The gateway's view of one storage node's shards. Speaks streams and AbortSignal only. */
export interface ShardStore {
  /**
   * Starts an upload of a new shard. `size`, when the caller knows it, lets a small shard go as one
   * message instead of a stream.
   */
  create(shardId: string, size?: number): ShardSink;
  /** Streams bytes [start, end] of a shard (the whole shard when no range is given). */
  get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /**
   * The verified blocks of bytes [start, end] of a shard (whole frames), for long reads. A store that can
   * receive them straight into block buffers does (src/node-protocol/streamed-blocks.ts); without this
   * method, the caller verifies `get`'s stream itself.
   */
  openBlocks?(shardId: string, range: { start: number; end: number }, options: BlockReadOptions): Promise<BlockSource>;
  /**
   * Bytes [start, end] of a shard in the pieces they arrived in, for short reads (a small object's block):
   * one message, no stream. Not abortable; the store's own request deadline bounds it.
   */
  readBytes(shardId: string, range: { start: number; end: number }): Promise<readonly Buffer[]>;
  /** Deletes a shard; resolves false if the node did not have it. */
  delete(shardId: string): Promise<boolean>;
  /** The node's own report of its capacity, usage and shard count, read live. */
  status(timeoutMs: number): Promise<NodeStatus>;
  /** Every shard the node holds, with size and age, streamed. */
  list(): AsyncIterable<ShardListing>;
  /** Removes the node's temp files older than `olderThanSeconds`. */
  purgeTemp(olderThanSeconds: number): Promise<TempPurge>;
  /**
   * Has the node make a lost shard itself from k of the part's shards on its peers (the plan names them),
   * durable before it resolves with the shard's size. Absent where the node cannot: the caller then
   * streams the rebuilt shard through itself.
   */
  rebuild?(plan: RebuildPlan, timeoutMs: number): Promise<number>;
}

/** What a node needs to rebuild shard `index` of a part as `shardId`. */
export interface RebuildPlan {
  readonly shardId: string;
  readonly index: number;
  readonly scheme: { readonly dataShards: number; readonly parityShards: number; readonly blockSize: number };
  readonly stripes: number;
  /** At least k shards of the part, in the order to try them. */
  readonly sources: readonly { readonly index: number; readonly url: string; readonly shardId: string }[];
  /** Bytes per second the node writes at most; 0: no limit. */
  readonly bytesPerSecond: number;
}
