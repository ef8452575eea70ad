import type { DuplicateGroup, PartRecord } from '../domain/records.js';

export interface DuplicateRow {
  id: string;
  sha256: string;
  size: number;
}

/**
 * Live objects in groups of equal content (SHA-256 and size) whose shard sets differ, oldest first.
 * A shard set is named by its smallest shard id: sets are either identical (shared) or disjoint, since
 * every upload draws fresh ids and sharing copies a whole set. Same SQL on SQLite and PostgreSQL.
 */
export const DUPLICATES_SQL = `
  WITH firsts AS (
    SELECT o.id, o.sha256, o.size, o.created_at, min(s.shard_id) AS first_shard
    FROM objects o JOIN shards s ON s.object_id = o.id
    WHERE o.expires_at IS NULL
    GROUP BY o.id, o.sha256, o.size, o.created_at
  ), groups AS (
    SELECT sha256, size FROM firsts GROUP BY sha256, size HAVING count(DISTINCT first_shard) > 1 LIMIT $1
  )
  SELECT f.id, f.sha256, f.size FROM firsts f JOIN groups g ON g.sha256 = f.sha256 AND g.size = f.size
  ORDER BY f.sha256, f.size, f.created_at, f.id`;

export function groupDuplicates(rows: readonly DuplicateRow[]): DuplicateGroup[] {
  const groups: { sha256: string; size: number; objectIds: string[] }[] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last.sha256 === row.sha256 && last.size === row.size) last.objectIds.push(row.id);
    else groups.push({ sha256: row.sha256, size: row.size, objectIds: [row.id] });
  }
  return groups;
}

export { sameShards } from '../domain/same-shards.js';
