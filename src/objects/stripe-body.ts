import { minimumShards, schemeForSize, shardFileBytes, stripeDataBytes, totalShards, type ErasureScheme } from '../core/erasure-scheme.js';
import { MetadataUnavailableError, NotEnoughNodesError, ObjectTooLargeError, UploadAbortedError, UploadIncompleteError } from '../core/errors.js';
import { newObjectId, newShardId } from '../core/ids.js';
import { choosePlacement } from '../core/placement.js';
import type { ShardLocation, UploadIntent } from '../domain/records.js';
import type { BodyDigest } from '../streams/content-digest.js';
import { splitIntoStripes, type StripeBuffers } from '../streams/stripe-splitter.js';
import type { ObjectServices } from './object-services.js';
import { StripeWriter } from './stripe-writer.js';

export interface StripeBodyInput {
  /** Where the bytes will belong (recorded in the upload intent). */
  readonly bucket: string;
  readonly key: string;
  readonly body: AsyncIterable<Uint8Array>;
  /** The Content-Length the client declared, if any; a body that ends short of it is an abort. */
  readonly declaredSize?: number | undefined;
  /** The intent's id, which becomes the object's id. */
  readonly objectId?: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** A body stored as durable shards on the nodes, protected by its intent, not yet part of any object. */
export interface StripedBody {
  readonly intentId: string;
  readonly size: number;
  /** Hex digests of the bytes. */
  readonly md5: string;
  readonly sha256: string;
  readonly scheme: ErasureScheme;
  readonly shards: readonly ShardLocation[];
  /** Deletes the shards and the intent (best effort: the cleaner finishes what fails). */
  discard(): Promise<void>;
}

/**
 * After the commit of a striped body failed: the shards are deleted now, unless the commit's outcome is
 * unknown. A commit cut off by a metadata outage (the connection dropped or its deadline passed after the
 * statement was sent) may still have been applied; deleting the shards then would leave a committed
 * object without its data. They stay under their intent instead, which the same commit would have removed:
 * if it is still there once the store is back, the commit did not happen, and the cleaner deletes them.
 */
export async function settleFailedCommit(stored: StripedBody, error: unknown, log: ObjectServices['log']): Promise<void> {
  if (!(error instanceof MetadataUnavailableError)) return stored.discard();
  log.warn({ object: stored.intentId }, 'the metadata store went away during a commit; its shards stay for the cleaner in case the commit was not applied');
}

/**
 * Streams a body into k data + m parity shards on k + m distinct nodes, durable when it returns.
 *
 * Order of durability: intent row → shard streams → every node fsyncs and renames. The caller then
 * commits the shards in one metadata transaction that drops the intent (an object, a multipart part), or
 * discards them. Any failure here aborts the shard streams (nodes drop their temp files), deletes shards
 * that were already durable and the intent; if even that cleanup fails, the intent row tells the cleaner
 * what to remove.
 */
export async function stripeBody(svc: ObjectServices, input: StripeBodyInput): Promise<StripedBody> {
  if (input.declaredSize !== undefined && input.declaredSize > svc.maxObjectSize) throw new ObjectTooLargeError(svc.maxObjectSize);

  const digest = svc.digests.start(input.declaredSize);
  const stripeBytes = stripeDataBytes(svc.scheme);
  // A body known to be smaller than a stripe gets a buffer of its own size, not a pooled stripe.
  const declared = input.declaredSize;
  const small = declared !== undefined && declared < stripeBytes;
  // Room for the small object's stripe with its padding (k × its aligned block).
  const smallBuffer = () => Buffer.allocUnsafe(Math.max(stripeDataBytes(schemeForSize(svc.scheme, declared ?? 0)), 1));
  const buffers: StripeBuffers = small ? { acquire: smallBuffer, release: () => undefined } : svc.stripeBuffers;
  const stripes = splitIntoStripes(tap(input.body, digest, svc.gcPacer, svc.maxObjectSize), small ? Math.max(declared, 1) : stripeBytes, buffers);
  let pending = await stripes.next();
  // An object smaller than one stripe is known in full by now: give it a block that fits it.
  const firstLength = pending.done ? 0 : pending.value.length;
  const scheme = firstLength < stripeBytes ? schemeForSize(svc.scheme, firstLength) : svc.scheme;
  const expectedSize = input.declaredSize ?? firstLength;
  const shardBytes = shardFileBytes(scheme, Math.max(expectedSize, firstLength));

  let intent: UploadIntent;
  try {
    const nodeIds = placeShards(svc, scheme, shardBytes);
    for (const id of nodeIds) svc.nodes.reserve(id, shardBytes);
    intent = {
      id: input.objectId ?? newObjectId(),
      bucket: input.bucket,
      key: input.key,
      createdAt: Date.now(),
      shards: nodeIds.map((nodeId) => ({ nodeId, shardId: newShardId() })),
    };
    await svc.metadata.intents.create(intent);
  } catch (error) {
    // Nothing reached a node yet: hand the first stripe back and stop reading the body.
    if (!pending.done) buffers.release(pending.value.buffer);
    await stripes.return(undefined);
    digest.cancel();
    throw error;
  }

  // Shard i goes to intent.shards[i]: the data shards always, the parity shards as far as nodes allow.
  const sinks = Array.from({ length: totalShards(scheme) }, (_, i) => {
    const shard = intent.shards[i];
    // An object that ended inside its first stripe is known in full: its shards' size is exact.
    const knownSize = pending.done || firstLength < stripeBytes ? shardBytes : undefined;
    return shard && svc.nodes.store(shard.nodeId).create(shard.shardId, knownSize);
  });
  const writer = new StripeWriter(
    scheme,
    svc.coderFor(scheme),
    sinks,
    svc.stripeBuffers,
    svc.parityBuffers,
    // A node lost mid-upload is survivable while k + 1 shards are still being written (one more loss stays
    // survivable); an upload that started with fewer shards than that cannot lose any.
    Math.min(scheme.dataShards + 1, intent.shards.length),
  );
  const onClientGone = () => void writer.abort(new UploadAbortedError('the client went away'));
  input.signal.addEventListener('abort', onClientGone, { once: true });
  const log = svc.log.child({ object: intent.id, key: input.key });
  try {
    let touched = Date.now();
    while (!pending.done) {
      await writer.write(pending.value);
      // A refreshed intent tells the cleaner this upload is alive, however long it takes.
      if (Date.now() - touched > svc.intentRefreshMs) {
        touched = Date.now();
        await svc.metadata.intents.touch(intent.id, touched);
      }
      pending = await stripes.next();
    }
    const { sha256, md5, bytes } = await digest.digest();
    if (input.declaredSize !== undefined && bytes !== input.declaredSize) throw new UploadIncompleteError(bytes, input.declaredSize);
    const sizes = await writer.finish();
    const expected = shardFileBytes(scheme, bytes);
    sizes.forEach((size, i) => {
      if (size !== undefined && size !== expected) throw new UploadAbortedError(`node stored ${size} bytes of shard ${i}, expected ${expected}`);
    });
    for (const [index, error] of writer.lostShards()) {
      // Out of placement until its next heartbeat; the part is recorded under-replicated for the repairer.
      svc.nodes.markFailed(intent.shards[index]!.nodeId);
      log.warn({ shard: index, node: intent.shards[index]!.nodeId, err: (error as Error).message }, 'a node failed during the upload; stored without its shard');
    }
    return {
      intentId: intent.id,
      size: bytes,
      md5,
      sha256,
      scheme,
      shards: intent.shards.map((s, index) => ({ index, nodeId: s.nodeId, shardId: s.shardId, size: expected })).filter((s) => sizes[s.index] !== undefined),
      discard: () => discardShards(svc, intent, log),
    };
  } catch (error) {
    await writer.abort(error);
    await stripes.return(undefined);
    digest.cancel();
    await discardShards(svc, intent, log);
    throw input.signal.aborted && !(error instanceof UploadIncompleteError)
      ? new UploadAbortedError('the client went away during the upload', { cause: error })
      : error;
  } finally {
    input.signal.removeEventListener('abort', onClientGone);
  }
}

/**
 * The nodes for an upload's shards, data shards first. With fewer live nodes than k + m but at least k,
 * the upload goes ahead with fewer parity shards (under-replicated; the repairer adds the rest when nodes
 * come back or join); `/_health/ready` says how many node losses new objects survive meanwhile.
 */
function placeShards(svc: ObjectServices, scheme: ErasureScheme, shardBytes: number): string[] {
  const candidates = svc.nodes.placementCandidates();
  const withRoom = candidates.filter((n) => n.capacity - n.used >= shardBytes).length;
  const floor = minimumShards(scheme);
  if (withRoom < floor) throw new NotEnoughNodesError(floor, withRoom);
  return choosePlacement(candidates, Math.min(totalShards(scheme), withRoom), shardBytes);
}

async function* tap(body: AsyncIterable<Uint8Array>, digest: BodyDigest, onChunk: (bytes: number) => void, limit: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    // A chunked upload declares no length: it is stopped when it passes the limit.
    if (total > limit) throw new ObjectTooLargeError(limit);
    onChunk(chunk.length);
    const digestBehind = digest.update(chunk);
    if (digestBehind) await digestBehind;
    yield chunk;
  }
}

/** Best effort: delete whatever the nodes kept; the intent stays for the cleaner if any delete fails. */
async function discardShards(svc: ObjectServices, intent: UploadIntent, log: ObjectServices['log']): Promise<void> {
  const results = await Promise.allSettled(intent.shards.map((s) => svc.nodes.store(s.nodeId).delete(s.shardId)));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length === 0) await svc.metadata.intents.remove(intent.id);
  else log.warn({ failed: failed.length }, 'could not delete every shard of an aborted upload; the cleaner will');
}
