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
  for (const part of object.parts) {
    const partEnd = part.offset + part.size - 1;
    if (part.size === 0 || partEnd < want.start || part.offset > want.end) continue;
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
        const blocks = await reader.readStripe(s);
        const stripeStart = s * stripeBytes;
        for (let i = 0; i < blocks.length; i++) {
          const blockStart = stripeStart + i * bs;
          const from = Math.max(next, blockStart);
          const to = Math.min(local.end, blockStart + bs - 1);
          if (from > to) continue;
          next = to + 1;
          yield blocks[i]!.subarray(from - blockStart, to - blockStart + 1);
        }
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

export const responseLength = (object: ObjectRecord, range: ByteRange | undefined): number =>
  range ? rangeLength(range) : object.size;

