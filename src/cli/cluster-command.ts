import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { clusterConfigSchema } from '../config/cluster-config.js';
import { validateConfig } from '../config/validate.js';
import { runProcess } from './run-process.js';
import { pino } from 'pino';
import { mkdirSync } from 'node:fs';

export function addClusterCommand(program: Command): void {
  program
    .command('cluster')
    .description('run a local cluster: a gateway and N storage nodes as child processes, data under one directory')
    .option('--dir <dir>', 'directory for all data, logs and cluster.json', './data')
    .option('--port <port>', 'gateway port', '8080')
    .option('--host <host>', 'address everything binds to', '127.0.0.1')
    .option('--nodes <n>', 'number of storage nodes', '8')
    .option('--data-shards <k>', 'data shards per object', '6')
    .option('--parity-shards <m>', 'parity shards per object', '2')
    .option('--block-size <bytes>', 'shard block size (e.g. 1MiB)')
    .option('--node-capacity <bytes>', 'declared capacity of each node (default: free disk space)')
    .option('--db <url>', 'metadata store (default sqlite:DIR/meta.db)')
    .option('--gc-grace <seconds>', "passed to the gateway: the cleaner's grace period")
    .option('--gc-interval <seconds>', 'passed to the gateway: seconds between cleaner passes')
    .option('--idle-timeout <ms>', 'passed to the gateway: cut off a client that sends and reads nothing for this long')
    .option('--s3-port <port>', 'port of the S3-compatible API (default: a free port)')
    .option('--restart <policy>', 'always: start a child that dies again, with back-off; never: leave it dead', 'always')
    .action(async (opts: Record<string, string | undefined>) => {
      const config = validateConfig(clusterConfigSchema, {
        dir: opts.dir,
        port: opts.port,
        host: opts.host,
        nodes: opts.nodes,
        dataShards: opts.dataShards,
        parityShards: opts.parityShards,
        blockSize: opts.blockSize,
        nodeCapacity: opts.nodeCapacity,
        db: opts.db,
        gcGrace: opts.gcGrace,
        gcInterval: opts.gcInterval,
        idleTimeout: opts.idleTimeout,
        s3Port: opts.s3Port,
        restart: opts.restart,
      });
      // As runProcess does for every long-running process, but before the cluster's own log is opened.
      process.umask(0o077);
      const logDir = join(resolve(config.dir), 'logs');
      mkdirSync(logDir, { recursive: true });
      const say = (line: string) => process.stdout.write(line + '\n');
      const log = pino({ name: 'cluster' }, pino.destination({ dest: join(logDir, 'cluster.log'), sync: true }));
      await runProcess('cluster', async () => {
        say(`starting a gateway and ${config.nodes} storage nodes in ${resolve(config.dir)} ...`);
        const { startCluster } = await import('../processes/cluster.js');
        const cluster = await startCluster(config, log, say);
        const { gateway, s3 } = cluster.state;
        const statePath = join(resolve(config.dir), 'cluster.json');
        say(
          [
            `Shardstore is ready at ${gateway.url}  (gateway + ${config.nodes} nodes, ${config.dataShards}+${config.parityShards} erasure coding)`,
            `  ${await redundancyLine(gateway.url)}`,
            `  upload:    curl -X POST --data-binary @photo.jpg ${gateway.url}/images/photo.jpg`,
            `  download:  curl -o photo.jpg ${gateway.url}/images/photo.jpg`,
            `  nodes:     curl -H "Authorization: Bearer $(jq -r .adminToken ${statePath})" ${gateway.url}/_nodes`,
            `  S3 API:    ${s3.url}  access key ${s3.accessKey}, secret in cluster.json (aws --endpoint-url ${s3.url} s3 ls)`,
            `  state in ${statePath}, logs in ${logDir}/; Ctrl-C stops everything`,
          ].join('\n'),
        );
        return cluster;
      }, log);
    });
}

/** What `/_health/ready` says of the redundancy new objects get (with fewer than k + m nodes, less than the scheme's). */
async function redundancyLine(gatewayUrl: string): Promise<string> {
  try {
    const res = await fetch(`${gatewayUrl}/_health/ready`, { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { message: string }).message;
  } catch (error) {
    return `redundancy: unknown (${(error as Error).message})`;
  }
}
