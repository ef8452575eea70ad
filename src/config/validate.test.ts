import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { flagOf, validateConfig } from './validate.js';
import { gatewayConfigSchema } from './gateway-config.js';
import { nodeConfigSchema } from './node-config.js';
import { addGatewayCommand } from '../cli/gateway-command.js';
import { addNodeCommand } from '../cli/node-command.js';

/** The flags a command really declares. */
function declaredFlags(add: (program: Command) => void, name: string): Set<string> {
  const program = new Command();
  add(program);
  const command = program.commands.find((c) => c.name() === name)!;
  return new Set(command.options.map((o) => o.long!));
}

test('every gateway and node configuration field maps to a flag the command declares', () => {
  const gatewayFlags = declaredFlags(addGatewayCommand, 'gateway');
  for (const field of Object.keys(gatewayConfigSchema.shape)) assert.ok(gatewayFlags.has(flagOf(field)), `gateway ${field} -> ${flagOf(field)}`);
  const nodeFlags = declaredFlags(addNodeCommand, 'node');
  for (const field of Object.keys(nodeConfigSchema.shape)) {
    // The node's `advertiseUrl` and the rest follow the same rule.
    assert.ok(nodeFlags.has(flagOf(field)), `node ${field} -> ${flagOf(field)}`);
  }
});

test('a bad value is reported with the real flag name, for every numeric gateway setting', () => {
  const valid = { db: 'sqlite:x.db', nodeSecret: 'secret-secret', adminToken: 'token-token' };
  for (const field of ['port', 'nodeDownAfterMs', 'shardTimeoutMs', 'idleTimeoutMs', 'gcIntervalSec', 'gcGraceSec', 'repairAfterSec', 'repairIntervalSec', 'rebalanceIntervalSec', 'scrubIntervalSec', 'multipartExpirySec', 'dataShards']) {
    assert.throws(() => validateConfig(gatewayConfigSchema, { ...valid, [field]: 'not-a-number' }), (error: Error) => {
      assert.match(error.message, new RegExp(`${flagOf(field)}: `), field);
      return true;
    });
  }
  assert.equal(flagOf('nodeDownAfterMs'), '--node-down-after');
  assert.equal(flagOf('gcGraceSec'), '--gc-grace');
});
