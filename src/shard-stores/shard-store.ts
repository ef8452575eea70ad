import type { Readable } from 'node:stream';
import type { NodeReport } from '../node-protocol/protocol.js';

/** The gateway's view of one storage node's shards. Speaks streams and AbortSignal only. */
export interface ShardStore {
  /** Streams `body` into a new shard; resolves with its size once the node has made it durable. */
  put(shardId: string, body: Readable, signal: AbortSignal): Promise<number>;
  /** Streams bytes [start, end] of a shard (the whole shard when no range is given). */
  get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Deletes a shard; resolves false if the node did not have it. */
  delete(shardId: string): Promise<boolean>;
  /** The node's own report of its capacity, usage and shard count, read live. */
  status(timeoutMs: number): Promise<NodeReport>;
}
