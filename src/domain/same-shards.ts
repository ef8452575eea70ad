import type { PartRecord } from './records.js';

/** Whether two objects' parts already name the same shards. */
export function sameShards(a: readonly PartRecord[], b: readonly PartRecord[]): boolean {
  const ids = (parts: readonly PartRecord[]) => parts.flatMap((p) => p.shards.map((s) => s.shardId)).sort().join(',');
  return ids(a) === ids(b);
}
