import { totalShards } from '../core/erasure-scheme.js';
import type { NewObject, PartRecord } from './records.js';

/** Parts committed with fewer shards than their scheme: the repairer completes them. */
export const underReplicated = (object: NewObject): PartRecord[] =>
  object.parts.filter((p) => p.shards.length < totalShards(p.scheme));
