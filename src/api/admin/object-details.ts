import { isParityShard } from '../../core/erasure-scheme.js';
import type { ObjectRecord } from '../../metadata/records.js';
import type { ObjectServices } from '../../objects/object-services.js';

/** An object's record for operators: sizes, digests, dates and the shard map (which node holds which shard). */
export async function objectDetails(svc: ObjectServices, object: ObjectRecord) {
  const urls = new Map(svc.nodes.list().map((n) => [n.id, n.url]));
  return {
    id: object.id,
    key: object.key,
    size: object.size,
    etag: object.etag,
    sha256: object.sha256,
    contentType: object.contentType,
    created: new Date(object.createdAt).toISOString(),
    // Objects with the same content share one set of shards; this one included.
    sharedBy: await svc.metadata.sharing.sharers(object.id),
    parts: object.parts.map((p) => ({
      partNo: p.partNo,
      offset: p.offset,
      size: p.size,
      scheme: p.scheme,
      shards: p.shards.map((s) => ({
        index: s.index,
        kind: isParityShard(p.scheme, s.index) ? 'parity' : 'data',
        node: s.nodeId,
        nodeUrl: urls.get(s.nodeId) ?? null,
        shardId: s.shardId,
        size: s.size,
      })),
    })),
  };
}
