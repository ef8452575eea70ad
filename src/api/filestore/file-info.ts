import { isParityShard } from '../../core/erasure-scheme.js';
import type { ObjectRecord } from '../../domain/records.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The JSON model of a stored file (`GET /fileinfo/{id}`); never includes the owner key. */
export function fileInfo(object: ObjectRecord) {
  const part = object.parts[0];
  return {
    id: object.id,
    name: object.name,
    size: object.size,
    content_type: object.contentType,
    sha256: object.sha256,
    etag: object.etag,
    date_create: iso(object.createdAt),
    date_expire: iso(object.expiresAt),
    date_delete: iso(object.deletedAt),
    parts: part?.scheme.dataShards ?? 0,
    shards: object.parts.flatMap((p) =>
      p.shards.map((s) => ({ index: s.index, kind: isParityShard(p.scheme, s.index) ? 'parity' : 'data', node: s.nodeId, size: s.size })),
    ),
  };
}
