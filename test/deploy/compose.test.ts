import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLI } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';
import { GATEWAY_OPTIONS } from '../../src/config/gateway-options.js';
import { NODE_OPTIONS } from '../../src/config/node-options.js';
import { CLUSTER_OPTIONS } from '../../src/config/cluster-options.js';
import type { OptionTable } from '../../src/config/option-table.js';

/** No Docker engine runs here: the compose file is checked for what can be checked without one. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
interface Service {
  image?: string; build?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[];
  ports?: string[]; depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const shardstoreServices = Object.entries(services).filter(([, s]) => s.image === 'shardstore:latest');

test('compose: PostgreSQL, a one-shot migrate, the gateway after it, 8 nodes with their own volumes, nginx in front', () => {
  assert.match(services.postgres!.image!, /^postgres:/);
  assert.deepEqual(services.migrate!.command, ['migrate']);
  assert.deepEqual(services.migrate!.depends_on, { postgres: { condition: 'service_healthy' } });
  assert.deepEqual(services.gateway!.depends_on, { migrate: { condition: 'service_completed_successfully' } });
  assert.deepEqual(services.gateway!.ports, ['8080:8080', '9000:9000'], 'the path/file store API and the S3 API');
  const nodes = Object.entries(services).filter(([name]) => /^node\d+$/.test(name));
  assert.equal(nodes.length, 8);
  const volumes = nodes.map(([, s]) => s.volumes![0]!.split(':')[0]!);
  assert.equal(new Set(volumes).size, 8, 'one volume per node');
  for (const v of volumes) assert.ok(v in compose.volumes, `volume ${v} declared`);
  assert.deepEqual(nodes.map(([name, s]) => s.environment!.SHARDSTORE_NODE_URL), nodes.map(([name]) => `http://${name}:9000`), 'each node advertises its own name');
  for (const [, s] of nodes) assert.equal(s.depends_on!.gateway!.condition, 'service_healthy');
  assert.match(services.nginx!.image!, /^nginx:/);
  assert.deepEqual(services.nginx!.ports, ['80:80']);
  const template = services.nginx!.volumes!.find((v) => v.includes('nginx.conf.template'))!.split(':')[0]!;
  assert.ok(existsSync(join(ROOT, template)), 'nginx mounts the template that shardstore nginx-conf renders');
  assert.equal(services.gateway!.environment!.SHARDSTORE_DB, services.migrate!.environment!.SHARDSTORE_DB, 'migrate and gateway use one database');
});

test('compose: every command is a real shardstore command with real flags, every variable one the CLI reads', () => {
  const cliSources = readdirSync(join(ROOT, 'src/cli'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(ROOT, 'src/cli', f), 'utf8'))
    .join('\n');
  // The long-running processes read theirs through their option tables (a secret's `_FILE` twin too).
  const tableVariables = new Set(
    [GATEWAY_OPTIONS, NODE_OPTIONS, CLUSTER_OPTIONS].flatMap((table: OptionTable) =>
      Object.values(table).flatMap((o) => (o.env === undefined ? [] : o.secret ? [o.env, `${o.env}_FILE`] : [o.env])),
    ),
  );
  const cliReads = (variable: string) => tableVariables.has(variable) || cliSources.includes(`process.env.${variable}`);
  for (const [name, service] of shardstoreServices) {
    const [command, ...args] = service.command!;
    const help = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, command!, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, `${name}: 'shardstore ${command}' exists`);
    for (const flag of args.filter((a) => a.startsWith('--'))) assert.ok(help.stdout.includes(flag), `${name}: ${command} has ${flag}`);
    for (const variable of Object.keys(service.environment ?? {})) {
      assert.ok(cliReads(variable), `${name}: the CLI reads ${variable}`);
    }
  }
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const used = new Set([...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]));
  for (const variable of used) assert.match(example, new RegExp(`^${variable}=`, 'm'), `.env.example sets ${variable}`);
});

test('Dockerfile: multi-stage, non-root, with a healthcheck, entry point shardstore', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.equal(dockerfile.match(/^FROM /gm)!.length, 2);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^HEALTHCHECK /m);
  assert.match(dockerfile, /^ENTRYPOINT \["shardstore"\]$/m);
});
