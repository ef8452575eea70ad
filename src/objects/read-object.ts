import { rangeLength, stripesForRange, type ByteRange } from '../core/byte-range.js';
import { frameBytes, stripeDataBytes } from '../core/erasure-scheme.js';
import { bytesOf, frameIntact } from '../core/block-frame.js';
import type { ObjectRecord, PartRecord, ShardLocation } from '../domain/records.js';
import { ShardUnavailableError } from '../core/errors.js';
import { sameShards } from '../domain/same-shards.js';
import type { ReadServices } from './object-services.js';
import { PartReader, reportShardFailure } from './part-reader.js';

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

/**
 * A small read reads frames of at most this (a one-stripe object's, whose block is cut to its size; blocks of
 * 256 KiB stay streamed: 16 KiB ranges of a large object read this way cost the gateway as much CPU per GET
 * as streamed, 0.93 against 0.87 ms — their cost is the block's transfer and checksum); and what one small
 * read holds in memory at once is bounded too.
 */
const SMALL_READ_FRAME_BYTES = 64 * 1024;
const SMALL_READ_BYTES = 6 * SMALL_READ_FRAME_BYTES;

/** What a small read's deadline resolves with. */
const LATE = Symbol('late');

/**
 * A small read: wanted bytes that lie in one stripe of one part with small blocks — a small object, whole
 * or a range of it — read in one round: one message per data shard that holds them, each block's checksum
 * verified, nothing streamed. readObject's machinery — a block reader, an abort controller and async
 * generators per shard — was most of what a 4 KiB GET allocated, and the gateway spent a third of its time
 * under such GETs collecting garbage.
 *
 * Undefined when the read is larger or anything in the round goes wrong (a node down or slow, a shard
 * missing or corrupt): readObject then reads it with parity and reports the failure. Nodes that did not
 * answer within the read timeout are marked failed first, so that it does not wait for them again.
 */
export async function readSmall(svc: ReadServices, object: ObjectRecord, range: ByteRange | undefined): Promise<Buffer[] | undefined> {
  const plan = smallReadPlan(object, range ?? { start: 0, end: object.size - 1 });
  if (!plan || plan.shards.some((shard) => !svc.nodes.isUp(shard.nodeId))) return undefined;
  const { want, shards, stripeStart, blockSize: bs } = plan;
  const answered: boolean[] = [];
  const reads = shards.map((shard, j) =>
    svc.nodes
      .store(shard.nodeId)
      .readBytes(shard.shardId, plan.frameRange)
      .then((bytes) => {
        answered[j] = true;
        return bytes;
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(resolve, svc.readTimeoutMs, LATE)));
  let frames: (readonly Buffer[])[] | typeof LATE;
  try {
    frames = await Promise.race([Promise.all(reads), late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  if (frames === LATE) {
    shards.forEach((shard, j) => {
      if (answered[j]) return;
      reportShardFailure(svc, shard, new ShardUnavailableError(`timed out reading shard ${shard.index} (${shard.shardId})`));
    });
    return undefined;
  }
  const out: Buffer[] = [];
  for (let j = 0; j < frames.length; j++) {
    const pieces = frames[j]!;
    // Checked and cut across the pieces the frame arrived in, not joined into a new buffer first.
    if (!frameIntact(pieces, bs)) return undefined;
    const blockStart = stripeStart + shards[j]!.index * bs;
    out.push(bytesOf(pieces, Math.max(want.start, blockStart) - blockStart, Math.min(want.end, blockStart + bs - 1) - blockStart + 1));
  }
  return out;
}

interface SmallReadPlan {
  readonly want: ByteRange;
  /** The data shards that hold wanted bytes, in block order. */
  readonly shards: readonly ShardLocation[];
  /** Where the stripe starts in the object, and its frames in every shard file. */
  readonly stripeStart: number;
  readonly frameRange: { readonly start: number; readonly end: number };
  readonly blockSize: number;
}

/** Which shards a small read asks for, and where; undefined when `want` is not a small read. */
function smallReadPlan(object: ObjectRecord, want: ByteRange): SmallReadPlan | undefined {
  if (object.size === 0) return undefined;
  const part = object.parts.find((p) => p.size > 0 && p.offset <= want.start && want.start < p.offset + p.size);
  if (!part || want.end >= part.offset + part.size) return undefined;
  const { scheme } = part;
  const stripeBytes = stripeDataBytes(scheme);
  const stripe = Math.floor((want.start - part.offset) / stripeBytes);
  const stripeStart = part.offset + stripe * stripeBytes;
  if (want.end >= stripeStart + stripeBytes) return undefined;
  const bs = scheme.blockSize;
  const frame = frameBytes(scheme);
  const first = Math.floor((want.start - stripeStart) / bs);
  const last = Math.floor((want.end - stripeStart) / bs);
  if (frame > SMALL_READ_FRAME_BYTES || (last - first + 1) * frame > SMALL_READ_BYTES) return undefined;
  const shards: ShardLocation[] = [];
  for (let i = first; i <= last; i++) {
    const shard = part.shards.find((x) => x.index === i);
    if (!shard) return undefined;
    shards.push(shard);
  }
  return { want, shards, stripeStart, frameRange: { start: stripe * frame, end: (stripe + 1) * frame - 1 }, blockSize: bs };
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

