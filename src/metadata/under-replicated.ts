import { totalShards } from '../core/erasure-scheme.js';
import type { PartRecord } from '../domain/records.js';

/** Parts committed with fewer shards than their scheme: the repairer completes them. */
export const underReplicated = (object: { readonly parts: readonly PartRecord[] }): PartRecord[] =>
  object.parts.filter((p) => p.shards.length < totalShards(p.scheme));
