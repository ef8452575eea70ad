import { blockChecksum } from '../core/block-frame.js';
import { stripeCount } from '../core/erasure-scheme.js';
import type { PartRecord, ShardLocation } from '../domain/records.js';
import type { ShardSink } from '../domain/shard-store.js';
import { BlockReader } from '../streams/block-reader.js';
import type { ReadServices } from './object-services.js';
import { PartReader } from './part-reader.js';

const writeFrame = async (sink: ShardSink, block: Buffer) => {
  // Each write resolves once the socket has taken the bytes, so the block's buffer may be reused after.
  await sink.write(block);
  await sink.write(blockChecksum(block));
};

/**
 * Fills `sinks` with the shards `indexes` of a part, rebuilt stripe by stripe from the other shards
 * (never from `avoid`): data blocks come from the verified reader (itself decoding what it must), parity
 * blocks are encoded again. Memory: one stripe and its parity.
 */
export function rebuiltShards(svc: ReadServices, part: PartRecord, indexes: readonly number[], avoid: readonly number[], signal: AbortSignal) {
  return async (sinks: readonly ShardSink[]): Promise<void> => {
    const { dataShards: k, parityShards: m, blockSize: bs } = part.scheme;
    const stripes = stripeCount(part.scheme, part.size);
    if (stripes === 0) return;
    const reader = new PartReader(svc, part, stripes - 1, signal, avoid);
    const data = Buffer.alloc(k * bs);
    const parity = Buffer.alloc(m * bs);
    const needParity = indexes.some((i) => i >= k);
    try {
      for (let s = 0; s < stripes; s++) {
        const blocks = await reader.readStripe(s);
        blocks.forEach((block, i) => block.copy(data, i * bs));
        if (needParity) await svc.coderFor(part.scheme).encode(data, parity);
        for (let j = 0; j < indexes.length; j++) {
          const i = indexes[j]!;
          await writeFrame(sinks[j]!, i < k ? data.subarray(i * bs, (i + 1) * bs) : parity.subarray((i - k) * bs, (i - k + 1) * bs));
        }
      }
    } finally {
      reader.close();
    }
  };
}

/** Fills one sink with a verbatim copy of a shard, every frame's checksum verified on the way. */
export function copiedShard(svc: ReadServices, from: ShardLocation, blockSize: number, signal: AbortSignal) {
  return async (sinks: readonly ShardSink[]): Promise<void> => {
    const body = await svc.nodes.store(from.nodeId).get(from.shardId, undefined, signal);
    const blocks = new BlockReader(body, blockSize, `shard ${from.shardId} on node ${from.nodeId}`, svc.gcPacer);
    try {
      for (let block = await blocks.next(); block; block = await blocks.next()) await writeFrame(sinks[0]!, block);
    } finally {
      blocks.close();
    }
  };
}
