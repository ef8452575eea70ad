import { z } from 'zod';
import { validateScheme } from '../core/erasure-scheme.js';
import { byteSize, port, positiveInt } from './validate.js';

export const gatewayConfigSchema = z
  .object({
    port,
    host: z.string().default('127.0.0.1'),
    /** `sqlite:FILE` (or a bare file path), or `postgres://…`. */
    db: z.string().min(1, 'the metadata database is required (e.g. sqlite:./meta.db or postgres://user@host/db)'),
    nodeSecret: z.string().min(8, 'the node secret is required (at least 8 characters)'),
    adminToken: z.string().min(8, 'the admin token is required (at least 8 characters)'),
    dataShards: positiveInt.default(6),
    parityShards: z.coerce.number().int().min(0).default(2),
    blockSize: byteSize.default(256 * 1024),
    /** A node whose last heartbeat is older than this is down. */
    nodeDownAfterMs: positiveInt.default(5000),
    /**
     * A shard read that delivers no frame for this long is dropped for parity: a hung node (SIGSTOP, a
     * dying disk) costs a GET this much once, after which the node is out of use until it heartbeats.
     */
    shardTimeoutMs: positiveInt.default(2000),
    /** An upload whose client sends nothing for this long is aborted. */
    idleTimeoutMs: positiveInt.default(30000),
    /** Seconds between cleaner passes (0: only on POST /_gc). */
    gcIntervalSec: z.coerce.number().min(0).default(60),
    /** Seconds between deduplication passes (0: only on POST /_dedupe). */
    dedupeIntervalSec: z.coerce.number().min(0).default(0),
    /** A node down this long is lost: the repairer rebuilds its shards elsewhere. */
    repairAfterSec: z.coerce.number().min(0).default(600),
    /** Seconds between repair passes (0: only on POST /_repair). */
    repairIntervalSec: z.coerce.number().min(0).default(60),
    /** Seconds between rebalance checks (0: only on POST /_rebalance). */
    rebalanceIntervalSec: z.coerce.number().min(0).default(60),
    /** Bytes per second the rebalancer copies at most. */
    rebalanceRate: byteSize.default(64 * 1024 * 1024),
    /** Bytes per second the scrubber reads back and verifies at most. */
    scrubRate: byteSize.default(16 * 1024 * 1024),
    /** Seconds between scrub passes (0: only on POST /_scrub); a pass verifies rate × interval bytes. */
    scrubIntervalSec: z.coerce.number().min(0).default(60),
    /** A second token that may read GET /_metrics only (for a Prometheus scraper); optional. */
    metricsToken: z.string().min(8, 'the metrics token must have at least 8 characters').optional(),
    /** The largest object an upload may store. */
    maxObjectSize: byteSize.default(5 * 1024 ** 4),
    /** The S3 listener's port (0: any free port). */
    s3Port: port.default(9000),
    /** The region S3 clients are told about (requests signed for any region are accepted). */
    s3Region: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a region looks like us-east-1').default('us-east-1'),
    /** With a domain, `bucket.<domain>` addresses a bucket (virtual-hosted style). */
    s3Domain: z.string().regex(/^[a-z0-9.-]+$/, 'a domain like s3.example.com').optional(),
    /** Incomplete S3 multipart uploads older than this are aborted by the cleaner. */
    multipartExpirySec: z.coerce.number().min(1).default(7 * 24 * 3600),
    /** Orphans, abandoned intents and temp files younger than this are never touched. */
    gcGraceSec: z.coerce.number().min(2, 'the cleaner grace must be at least 2 seconds').default(3600),
  })
  .superRefine((c, ctx) => {
    for (const message of validateScheme({ dataShards: c.dataShards, parityShards: c.parityShards, blockSize: c.blockSize })) {
      ctx.addIssue({ code: 'custom', message });
    }
  });
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
