import type { Command } from 'commander';
import { nodeConfigSchema } from '../config/node-config.js';
import { validateConfig } from '../config/validate.js';
import { runProcess } from './run-process.js';
import { secretOption } from './secret-option.js';

export function addNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run a storage node that keeps shards in a directory and joins a gateway')
    .option('--dir <dir>', 'data directory (shards, node id)', process.env.SHARDSTORE_NODE_DIR)
    .option('--port <port>', 'port to listen on (0 picks a free one)', process.env.SHARDSTORE_NODE_PORT ?? '0')
    .option('--host <host>', 'address to bind', process.env.SHARDSTORE_NODE_HOST ?? '127.0.0.1')
    .option('--advertise-url <url>', 'URL the gateway uses to reach this node (default http://HOST:PORT)', process.env.SHARDSTORE_NODE_URL)
    .option('--gateway <url>', 'gateway to register with', process.env.SHARDSTORE_GATEWAY)
    .option('--secret <secret>', 'cluster secret (the gateway\'s --node-secret; prefer --secret-file or the environment: argv is visible in ps)', process.env.SHARDSTORE_NODE_SECRET)
    .option('--secret-file <file>', 'read the cluster secret from this file (its first line)', process.env.SHARDSTORE_NODE_SECRET_FILE)
    .option('--capacity <bytes>', 'declared capacity (default: free disk space at start)', process.env.SHARDSTORE_NODE_CAPACITY)
    .option('--heartbeat <ms>', 'heartbeat interval', '1000')
    .option('--reserve <bytes>', 'bytes kept free on the disk; shard writes are refused (507) below it (default: 1% of the disk, at most 1GiB)', process.env.SHARDSTORE_NODE_RESERVE)
    .action(async (opts: Record<string, string | undefined>) => {
      await runProcess('node', async (log) => {
        const config = validateConfig(nodeConfigSchema, {
          dir: opts.dir ?? '',
          port: opts.port,
          host: opts.host,
          advertiseUrl: opts.advertiseUrl,
          gateway: opts.gateway,
          secret: secretOption(opts.secret, opts.secretFile, '--secret') ?? '',
          capacity: opts.capacity,
          heartbeatMs: opts.heartbeat,
          reserve: opts.reserve,
        });
        // Loaded here, not at the top: a node should not carry the gateway's modules (see main.ts).
        const { startStorageNode } = await import('../processes/storage-node.js');
        return startStorageNode(config, log);
      });
    });
}
