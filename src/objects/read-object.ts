import { rangeLength, stripesForRange, type ByteRange } from '../core/byte-range.js';
import { stripeDataBytes } from '../core/erasure-scheme.js';
import type { ObjectRecord, PartRecord } from '../domain/records.js';
import { ShardUnavailableError } from '../core/errors.js';
import { sameShards } from '../domain/same-shards.js';
import type { ReadServices } from './object-services.js';
import { PartReader } from './part-reader.js';

/**
 * Streams bytes [range.start, range.end] of an object (all of it without a range), reading only the
 * stripes of the parts that hold them. Yields views of verified blocks held in reused buffers: each is
 * valid only until the next one is requested, so a consumer copies or writes it before asking for more.
 * Nothing is buffered beyond one block per shard being read.
 */
export async function* readObject(
  svc: ReadServices,
  object: ObjectRecord,
  range: ByteRange | undefined,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  if (object.size === 0) return;
  const want: ByteRange = range ?? { start: 0, end: object.size - 1 };
  const parts = object.parts.filter((part) => part.size > 0 && part.offset + part.size - 1 >= want.start && part.offset <= want.end);
  // Bytes go out as soon as their block is verified, before the other shards have answered: an object
  // that the live nodes cannot serve is refused here, before any byte, instead of cut off midway.
  for (const part of parts) {
    const live = part.shards.filter((shard) => svc.nodes.isUp(shard.nodeId)).length;
    if (live < part.scheme.dataShards) {
      throw new ShardUnavailableError(`part ${part.partNo} has ${live} shards on live nodes; ${part.scheme.dataShards} are needed to read it`);
    }
  }
  for (const part of parts) {
    const partEnd = part.offset + part.size - 1;
    const local: ByteRange = { start: Math.max(want.start, part.offset) - part.offset, end: Math.min(want.end, partEnd) - part.offset };
    yield* readPart(svc, object.id, part, local, signal);
  }
}

/** How often one read follows its part's shards to new places (a repair or a move during the read). */
const MAX_RESOLVES = 3;

async function* readPart(svc: ReadServices, objectId: string, initial: PartRecord, local: ByteRange, signal: AbortSignal): AsyncGenerator<Buffer> {
  let part = initial;
  let next = local.start;
  for (let resolves = 0; ; resolves++) {
    const { first, last } = stripesForRange(part.scheme, { start: next, end: local.end });
    const stripeBytes = stripeDataBytes(part.scheme);
    const bs = part.scheme.blockSize;
    const reader = new PartReader(svc, part, last, signal);
    try {
      for (let s = first; s <= last; s++) {
        const stripeStart = s * stripeBytes;
        // The data blocks of this stripe that hold wanted bytes: all k inside a long read, fewer at its ends.
        const from = Math.max(next, stripeStart);
        const to = Math.min(local.end, stripeStart + stripeBytes - 1);
        const wanted = blockIndexes(Math.floor((from - stripeStart) / bs), Math.floor((to - stripeStart) / bs));
        // A long read's first block is asked for alone: its first byte need not wait for k nodes at once.
        const stripe = reader.startStripe(s, wanted, s === first && first < last);
        // Each block goes out as soon as it is verified, not once the whole stripe is in: the first byte of
        // a GET waits for one shard, not for the slowest of k.
        for (const i of wanted) {
          const block = stripe.ready(i) ?? (await stripe.block(i));
          const blockStart = stripeStart + i * bs;
          const end = Math.min(local.end, blockStart + bs - 1);
          const start = next;
          next = end + 1;
          yield block.subarray(start - blockStart, end - blockStart + 1);
        }
        await stripe.all;
      }
      return;
    } catch (error) {
      // The rebalancer or the repairer may have moved shards since the read began: read the part's
      // shard list again and go on from the next byte if it changed; otherwise the failure stands.
      if (!(error instanceof ShardUnavailableError) || signal.aborted || resolves >= MAX_RESOLVES) throw error;
      const fresh = (await svc.metadata.objects.findById(objectId))?.parts.find((p) => p.partNo === part.partNo);
      if (!fresh || sameShards([fresh], [part])) throw error;
      svc.log.info({ object: objectId, part: part.partNo, at: next }, 'shards moved during a read; continuing on their new places');
      part = fresh;
    } finally {
      reader.close();
    }
  }
}

/** The integers first..last. */
const blockIndexes = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, j) => first + j);

export const responseLength = (object: ObjectRecord, range: ByteRange | undefined): number =>
  range ? rangeLength(range) : object.size;

