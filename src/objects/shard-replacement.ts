import { IntentGoneError, MetadataUnavailableError, UploadAbortedError } from '../core/errors.js';
import { newObjectId, newShardId } from '../core/ids.js';
import type { ObjectRecord, PartRef, ShardLocation, ShardMove } from '../domain/records.js';
import type { Fence } from '../domain/metadata-store.js';
import type { ShardSink } from '../domain/shard-store.js';
import type { ReplaceServices } from './object-services.js';

export interface Replacement {
  readonly part: PartRef & { readonly index: number };
  /** The copy replaced; null for a shard the part lacks (an under-replicated upload). */
  readonly from: ShardLocation | null;
  /** Bytes of the shard file. */
  readonly size: number;
  readonly toNodeId: string;
}

/** A new copy's place: the node and the fresh shard id the intent names. */
export interface NewShard {
  readonly nodeId: string;
  readonly shardId: string;
}

/** Makes the new copies on their nodes; resolves with each one's stored size, in order, once all are durable. */
export type CopyMaker = (targets: readonly NewShard[]) => Promise<number[]>;

/** Copies streamed through this process: `fill` writes every copy's frames into its sink. */
export function throughSinks(svc: Pick<ReplaceServices, 'nodes'>, fill: (sinks: readonly ShardSink[]) => Promise<void>): CopyMaker {
  return async (targets) => {
    const sinks = targets.map((t) => svc.nodes.store(t.nodeId).create(t.shardId));
    try {
      await fill(sinks);
      return await Promise.all(sinks.map((s) => s.end()));
    } catch (error) {
      for (const sink of sinks) sink.abort(error);
      throw error;
    }
  };
}

/**
 * Puts new copies of some shards of an object on other nodes: the same discipline as an upload. An intent
 * names the new shard ids before a byte is written (a crash leaves orphans the cleaner finds); `make` writes
 * the bytes (through this process, or on the nodes themselves); once every node has made its copy durable,
 * one metadata transaction switches every object that names the old shards to the new ones. The old copies
 * are then deleted at once where their node is up (the cleaner's garbage queue keeps the rest). Returns the
 * bytes written.
 */
export async function replaceShards(
  svc: ReplaceServices,
  object: ObjectRecord,
  replacements: readonly Replacement[],
  make: CopyMaker,
  /** The background pass's lease: the switch commits only while the pass still holds it. */
  fence?: Fence,
): Promise<number> {
  const targets = replacements.map((r) => ({ nodeId: r.toNodeId, shardId: newShardId() }));
  const intent = { id: newObjectId(), bucket: object.bucket, key: object.key, createdAt: Date.now(), shards: targets };
  await svc.metadata.intents.create(intent, fence);
  replacements.forEach((r, i) => svc.nodes.reserve(targets[i]!.nodeId, r.size));
  const discardNew = async () => {
    const results = await Promise.allSettled(targets.map((t) => svc.nodes.store(t.nodeId).delete(t.shardId)));
    // Only when every new copy is gone may the intent go; otherwise the cleaner removes them later.
    if (results.every((r) => r.status === 'fulfilled')) await svc.metadata.intents.remove(intent.id).catch(() => undefined);
  };
  let moves: ShardMove[];
  // A long copy keeps its intent fresh, as an upload does, so the cleaner never takes it for abandoned.
  const refresh = setInterval(
    () =>
      void svc.metadata.intents.touch(intent.id, Date.now()).catch((error: unknown) => {
        // An outage is logged where it is noticed; anything else may let the cleaner take this copy for abandoned.
        if (!(error instanceof MetadataUnavailableError)) svc.log.warn({ intent: intent.id, err: error }, 'could not refresh the intent of a shard copy');
      }),
    svc.intentRefreshMs,
  );
  try {
    const sizes = await make(targets);
    clearInterval(refresh);
    sizes.forEach((size, i) => {
      const expected = replacements[i]!.size;
      if (size !== expected) throw new UploadAbortedError(`node stored ${size} bytes of a shard copy, expected ${expected}`);
    });
    moves = replacements.map((r, i) => ({
      part: r.part,
      from: r.from && { shardId: r.from.shardId, nodeId: r.from.nodeId },
      to: { ...targets[i]!, size: sizes[i]! },
    }));
    const rows = await svc.metadata.placement.moveShards(moves, intent.id, Date.now(), fence);
    if (rows === 0) {
      // Nothing uses the old shards any more (deleted or deduplicated meanwhile): the copies are orphans.
      await discardNew();
      return 0;
    }
  } catch (error) {
    clearInterval(refresh);
    if (!(error instanceof IntentGoneError)) await discardNew();
    throw error;
  }
  const deleted: string[] = [];
  await Promise.all(
    moves.map(async ({ from }) => {
      if (!from || !svc.nodes.isUp(from.nodeId)) return;
      try {
        await svc.nodes.store(from.nodeId).delete(from.shardId);
        deleted.push(from.shardId);
      } catch {
        // left in the garbage queue for the cleaner
      }
    }),
  );
  if (deleted.length > 0) await svc.metadata.garbage.remove(deleted, fence);
  return moves.reduce((sum, m) => sum + m.to.size, 0);
}
