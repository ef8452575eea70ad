import { z } from 'zod';

/**
 * The gateway <-> storage node protocol, defined once for both sides. See docs/NODE-PROTOCOL.md.
 * Every request carries the cluster secret as `Authorization: Bearer <secret>`.
 */
export const PROTOCOL_VERSION = 1;

export const nodeRoutes = {
  shard: (shardId: string) => `/v1/shards/${shardId}`,
  shards: '/v1/shards',
  status: '/v1/status',
  /** Prometheus text format. */
  metrics: '/v1/metrics',
  /** DELETE with `?older_than=SECONDS`: removes temp files of uploads that died. */
  tmp: '/v1/tmp',
  /** POST a rebuild plan (rebuildRequestSchema): the node makes a lost shard from its peers' shards. */
  rebuild: '/v1/rebuild',
} as const;

/** The gateway endpoint that nodes register and heartbeat with. */
export const REGISTER_PATH = '/_nodes';

export const SHARD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a node reports about itself, on registration/heartbeat and from GET /v1/status. */
export const nodeReportSchema = z.object({
  id: z.string().regex(SHARD_ID_RE, 'node id must be a UUID'),
  url: z.url({ protocol: /^https?$/ }),
  capacity: z.number().int().nonnegative(),
  used: z.number().int().nonnegative(),
  shards: z.number().int().nonnegative(),
  /** Host and device of the node's file system: the gateway counts a file system shared by nodes once. */
  fsId: z.string().min(1).max(300).optional(),
  /** Bytes free on that file system now. */
  fsFree: z.number().int().nonnegative().optional(),
  /** Failure domains: the zone and the machine the node runs in (placement spreads a part over them). */
  zone: z.string().min(1).max(100).optional(),
  machine: z.string().min(1).max(255).optional(),
  version: z.number().int().optional(),
});
export type NodeReport = z.infer<typeof nodeReportSchema>;

/**
 * A rebuild handed to the node that will hold the new shard: it reads `sources` (at least k shards of the
 * part, on its peers, in the order to try them), verifies every block's CRC32C, decodes shard `index` with the
 * part's Reed-Solomon code, and stores it as `shardId`, durable before it answers `{ id, size }`.
 */
export const rebuildRequestSchema = z.object({
  shardId: z.string().regex(SHARD_ID_RE, 'shard id must be a lower-case GUID'),
  index: z.number().int().nonnegative(),
  scheme: z.object({ dataShards: z.number().int().positive(), parityShards: z.number().int().positive(), blockSize: z.number().int().positive() }),
  /** Stripes in the part: each source shard is `stripes` frames of blockSize + 4 bytes. */
  stripes: z.number().int().positive(),
  sources: z
    .array(z.object({ index: z.number().int().nonnegative(), url: z.url({ protocol: /^https?$/ }), shardId: z.string().regex(SHARD_ID_RE) }))
    .min(1),
  /** Bytes per second the node writes the new shard at most; 0: no limit. */
  bytesPerSecond: z.number().int().nonnegative().default(0),
}).superRefine((r, ctx) => {
  const n = r.scheme.dataShards + r.scheme.parityShards;
  if (r.index >= n) ctx.addIssue({ code: 'custom', message: `index ${r.index} is outside the ${n} shards of the scheme` });
  if (r.sources.some((s) => s.index >= n || s.index === r.index)) ctx.addIssue({ code: 'custom', message: 'a source is outside the scheme or the shard being rebuilt' });
  if (new Set(r.sources.map((s) => s.index)).size < r.scheme.dataShards) ctx.addIssue({ code: 'custom', message: `at least ${r.scheme.dataShards} distinct source shards are needed` });
});
export type RebuildRequest = z.infer<typeof rebuildRequestSchema>;

export const storedShardSchema = z.object({ id: z.string(), size: z.number().int().nonnegative() });
export type StoredShard = z.infer<typeof storedShardSchema>;

/** One line of the NDJSON answer to GET /v1/shards; the answer to DELETE /v1/tmp. */
export type { ShardListing, TempPurge } from '../domain/shard-store.js';

export { bearer, hasBearer } from '../core/bearer.js';
