import type { Command } from 'commander';
import { gatewayConfigSchema } from '../config/gateway-config.js';
import { validateConfig } from '../config/validate.js';
import { runProcess } from './run-process.js';
import { secretOption } from './secret-option.js';

export function addGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('run the client-facing gateway (path API, admin API)')
    .option('--port <port>', 'port to listen on', process.env.SHARDSTORE_PORT ?? '8080')
    .option('--host <host>', 'address to bind', process.env.SHARDSTORE_HOST ?? '127.0.0.1')
    .option('--db <url>', 'metadata store: sqlite:FILE or postgres://…', process.env.SHARDSTORE_DB)
    .option('--node-secret <secret>', 'cluster secret shared with the storage nodes (prefer --node-secret-file or the environment: argv is visible in ps)', process.env.SHARDSTORE_NODE_SECRET)
    .option('--node-secret-file <file>', 'read the node secret from this file (its first line)', process.env.SHARDSTORE_NODE_SECRET_FILE)
    .option('--admin-token <token>', 'bearer token for the admin endpoints (prefer --admin-token-file or the environment)', process.env.SHARDSTORE_ADMIN_TOKEN)
    .option('--admin-token-file <file>', 'read the admin token from this file (its first line)', process.env.SHARDSTORE_ADMIN_TOKEN_FILE)
    .option('--data-shards <k>', 'data shards per object', process.env.SHARDSTORE_DATA_SHARDS ?? '6')
    .option('--parity-shards <m>', 'parity shards per object (0..k)', process.env.SHARDSTORE_PARITY_SHARDS ?? '2')
    .option('--block-size <bytes>', 'shard block size (e.g. 256KiB, 1MiB)', process.env.SHARDSTORE_BLOCK_SIZE ?? '256KiB')
    .option('--node-down-after <ms>', 'a node silent for this long is down', '5000')
    .option('--shard-timeout <ms>', 'a shard read silent this long switches to parity', process.env.SHARDSTORE_SHARD_TIMEOUT ?? '2000')
    .option('--idle-timeout <ms>', 'cut off a client that sends and reads nothing for this long (an upload is discarded)', process.env.SHARDSTORE_IDLE_TIMEOUT ?? '30000')
    .option('--gc-interval <seconds>', 'seconds between cleaner passes (0: only on POST /_gc)', process.env.SHARDSTORE_GC_INTERVAL ?? '60')
    .option('--gc-grace <seconds>', 'orphans and abandoned uploads younger than this are kept', process.env.SHARDSTORE_GC_GRACE ?? '3600')
    .option('--dedupe-interval <seconds>', 'seconds between deduplication passes (0: only on POST /_dedupe)', process.env.SHARDSTORE_DEDUPE_INTERVAL ?? '0')
    .option('--repair-after <seconds>', 'a node down this long is lost; its shards are rebuilt elsewhere', process.env.SHARDSTORE_REPAIR_AFTER ?? '600')
    .option('--repair-interval <seconds>', 'seconds between repair passes (0: only on POST /_repair)', process.env.SHARDSTORE_REPAIR_INTERVAL ?? '60')
    .option('--rebalance-interval <seconds>', 'seconds between rebalance checks (0: only on POST /_rebalance)', process.env.SHARDSTORE_REBALANCE_INTERVAL ?? '60')
    .option('--rebalance-rate <bytes>', 'bytes per second the rebalancer copies at most (e.g. 64MiB)', process.env.SHARDSTORE_REBALANCE_RATE ?? '64MiB')
    .option('--scrub-rate <bytes>', 'bytes per second the scrubber verifies at most (e.g. 16MiB)', process.env.SHARDSTORE_SCRUB_RATE ?? '16MiB')
    .option('--scrub-interval <seconds>', 'seconds between scrub passes (0: only on POST /_scrub)', process.env.SHARDSTORE_SCRUB_INTERVAL ?? '60')
    .option('--metrics-token <token>', 'a token that may read GET /_metrics only (the admin token always may)', process.env.SHARDSTORE_METRICS_TOKEN)
    .option('--max-object-size <bytes>', 'largest object an upload may store (e.g. 5TiB)', process.env.SHARDSTORE_MAX_OBJECT_SIZE ?? '5TiB')
    .option('--s3-port <port>', 'port of the S3-compatible API (0: any free port)', process.env.SHARDSTORE_S3_PORT ?? '9000')
    .option('--s3-region <region>', 'the region S3 clients are told about', process.env.SHARDSTORE_S3_REGION ?? 'us-east-1')
    .option('--s3-domain <domain>', 'serve virtual-hosted-style S3 requests for BUCKET.<domain>', process.env.SHARDSTORE_S3_DOMAIN)
    .option('--multipart-expiry <seconds>', 'abort incomplete S3 multipart uploads older than this', process.env.SHARDSTORE_MULTIPART_EXPIRY ?? '604800')
    .action(async (opts: Record<string, string | undefined>) => {
      await runProcess('gateway', async (log) => {
        const config = validateConfig(gatewayConfigSchema, {
          port: opts.port,
          host: opts.host,
          db: opts.db ?? '',
          nodeSecret: secretOption(opts.nodeSecret, opts.nodeSecretFile, '--node-secret') ?? '',
          adminToken: secretOption(opts.adminToken, opts.adminTokenFile, '--admin-token') ?? '',
          dataShards: opts.dataShards,
          parityShards: opts.parityShards,
          blockSize: opts.blockSize,
          nodeDownAfterMs: opts.nodeDownAfter,
          idleTimeoutMs: opts.idleTimeout,
          shardTimeoutMs: opts.shardTimeout,
          gcIntervalSec: opts.gcInterval,
          gcGraceSec: opts.gcGrace,
          dedupeIntervalSec: opts.dedupeInterval,
          repairAfterSec: opts.repairAfter,
          repairIntervalSec: opts.repairInterval,
          rebalanceIntervalSec: opts.rebalanceInterval,
          rebalanceRate: opts.rebalanceRate,
          scrubRate: opts.scrubRate,
          maxObjectSize: opts.maxObjectSize,
          metricsToken: opts.metricsToken,
          scrubIntervalSec: opts.scrubInterval,
          s3Port: opts.s3Port,
          s3Region: opts.s3Region,
          s3Domain: opts.s3Domain,
          multipartExpirySec: opts.multipartExpiry,
        });
        const { startGateway } = await import('../processes/gateway.js');
        return startGateway(config, log);
      });
    });
}
