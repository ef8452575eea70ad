import type { Command } from 'commander';
import { nodeConfigSchema } from '../config/node-config.js';
import { NODE_OPTIONS } from '../config/node-options.js';
import { validateConfig } from '../config/validate.js';
import { addOptions, rawConfig } from './config-options.js';
import { runProcess } from './run-process.js';

export function addNodeCommand(program: Command): void {
  const command = program.command('node').description('run a storage node that keeps shards in a directory and joins a gateway');
  addOptions(command, NODE_OPTIONS).action(async (opts: Record<string, string | undefined>) => {
    await runProcess('node', async (log) => {
      const config = validateConfig(nodeConfigSchema, rawConfig(NODE_OPTIONS, opts), NODE_OPTIONS);
      // Loaded here, not at the top: a node should not carry the gateway's modules (see main.ts).
      const { startStorageNode } = await import('../processes/storage-node.js');
      return startStorageNode(config, log);
    });
  });
}
