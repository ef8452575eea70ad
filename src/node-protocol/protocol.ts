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

export const storedShardSchema = z.object({ id: z.string(), size: z.number().int().nonnegative() });
export type StoredShard = z.infer<typeof storedShardSchema>;

/** One line of the NDJSON answer to GET /v1/shards; the answer to DELETE /v1/tmp. */
export type { ShardListing, TempPurge } from '../domain/shard-store.js';

export { bearer, hasBearer } from '../core/bearer.js';
