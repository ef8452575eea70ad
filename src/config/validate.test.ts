import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { validateConfig } from './validate.js';
import { gatewayConfigSchema } from './gateway-config.js';
import { nodeConfigSchema } from './node-config.js';
import { clusterConfigSchema } from './cluster-config.js';
import { GATEWAY_OPTIONS } from './gateway-options.js';
import { NODE_OPTIONS } from './node-options.js';
import { CLUSTER_OPTIONS } from './cluster-options.js';
import type { OptionTable } from './option-table.js';
import { withOptionTables } from './readme-tables.js';
import { addGatewayCommand } from '../cli/gateway-command.js';
import { addNodeCommand } from '../cli/node-command.js';
import { addClusterCommand } from '../cli/cluster-command.js';
import { rawConfig } from '../cli/config-options.js';

/** The flags a command really declares. */
function declaredFlags(add: (program: Command) => void, name: string): Set<string> {
  const program = new Command();
  add(program);
  const command = program.commands.find((c) => c.name() === name)!;
  return new Set(command.options.map((o) => o.long!));
}

const processes = [
  { name: 'gateway', table: GATEWAY_OPTIONS as OptionTable, schema: gatewayConfigSchema, add: addGatewayCommand, valid: { db: 'sqlite:x.db', nodeSecret: 'secret-secret', adminToken: 'token-token' } },
  { name: 'node', table: NODE_OPTIONS as OptionTable, schema: nodeConfigSchema, add: addNodeCommand, valid: { dir: '/tmp/n', gateway: 'http://127.0.0.1:8080', secret: 'secret-secret' } },
  { name: 'cluster', table: CLUSTER_OPTIONS as OptionTable, schema: clusterConfigSchema, add: addClusterCommand, valid: {} },
];

/** A value no option accepts: neither a number, a byte size, a URL, a region nor a policy (any text names a file). */
const BAD: Record<string, string> = { host: '', dir: '', db: '', tlsCert: '', tlsKey: '', tlsCa: '' };

test('every option of the tables is a flag its command declares, with its file twin for secrets, and nothing else is', () => {
  for (const { name, table, add } of processes) {
    const declared = declaredFlags(add, name);
    const expected = new Set(Object.values(table).flatMap((o) => (o.secret ? [`--${o.flag}`, `--${o.flag}-file`] : [`--${o.flag}`])));
    assert.deepEqual([...declared].sort(), [...expected].sort(), name);
  }
});

test('the defaults of the tables make a valid configuration, and the schemas apply them', () => {
  for (const { name, table, schema, valid } of processes) {
    const config = validateConfig(schema, valid, table) as Record<string, unknown>;
    for (const [field, o] of Object.entries(table)) {
      if (o.default !== undefined) assert.notEqual(config[field], undefined, `${name} ${field} has its default`);
    }
  }
  assert.equal((validateConfig(gatewayConfigSchema, processes[0]!.valid, GATEWAY_OPTIONS)).blockSize, 256 * 1024);
});

test('a bad value for every option is reported with the option\'s real flag', () => {
  for (const { name, table, schema, valid } of processes) {
    for (const [field, o] of Object.entries(table)) {
      const bad = BAD[field] ?? (o.flag.includes('secret') || o.flag.includes('token') ? 'short' : 'not-a-valid-value!');
      assert.throws(
        () => validateConfig(schema, { ...valid, [field]: bad }, table),
        (error: Error) => {
          assert.ok(error.message.includes(`--${o.flag}: `), `${name} ${field}: ${error.message}`);
          return true;
        },
        `${name} --${o.flag} accepted '${bad}'`,
      );
    }
  }
});

test('a missing required option says what is needed, under its flag', () => {
  assert.throws(() => validateConfig(gatewayConfigSchema, rawConfig(GATEWAY_OPTIONS, {}), GATEWAY_OPTIONS), (error: Error) => {
    assert.match(error.message, /--db: the metadata database is required/);
    assert.match(error.message, /--node-secret: the node secret is required/);
    assert.match(error.message, /--admin-token: the admin token is required/);
    return true;
  });
});

test('the README\'s flag tables are the ones the option tables make (npm run docs:options rewrites them)', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.equal(withOptionTables(readme), readme, 'README.md flag tables drifted: run npm run docs:options');
});
