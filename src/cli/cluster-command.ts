import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { clusterConfigSchema } from '../config/cluster-config.js';
import { validateConfig } from '../config/validate.js';
import { CLUSTER_OPTIONS } from '../config/cluster-options.js';
import { addOptions, rawConfig } from './config-options.js';
import { runProcess } from './run-process.js';
import { pino } from 'pino';
import { mkdirSync } from 'node:fs';

export function addClusterCommand(program: Command): void {
  const command = program.command('cluster').description('run a local cluster: a gateway and N storage nodes as child processes, data under one directory');
  addOptions(command, CLUSTER_OPTIONS)
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const config = validateConfig(clusterConfigSchema, rawConfig(CLUSTER_OPTIONS, opts), CLUSTER_OPTIONS);
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
        const { gateway, s3, caFile } = cluster.state;
        const statePath = join(resolve(config.dir), 'cluster.json');
        // With --tls, curl and the AWS CLI check the gateway's certificate against the cluster's CA.
        const curl = caFile ? `curl --cacert ${caFile}` : 'curl';
        const aws = caFile ? `AWS_CA_BUNDLE=${caFile} aws` : 'aws';
        say(
          [
            `Shardstore is ready at ${gateway.url}  (gateway + ${config.nodes} nodes, ${config.dataShards}+${config.parityShards} erasure coding)`,
            `  ${await redundancyLine(gateway.url)}`,
            `  upload:    ${curl} -X POST --data-binary @photo.jpg ${gateway.url}/images/photo.jpg`,
            `  download:  ${curl} -o photo.jpg ${gateway.url}/images/photo.jpg`,
            `  nodes:     ${curl} -H "Authorization: Bearer $(jq -r .adminToken ${statePath})" ${gateway.url}/_nodes`,
            `  S3 API:    ${s3.url}  access key ${s3.accessKey}, secret in cluster.json (${aws} --endpoint-url ${s3.url} s3 ls)`,
            ...(caFile ? [`  TLS:       every process speaks HTTPS, checked against ${caFile} (CLI: --ca ${caFile})`] : []),
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
