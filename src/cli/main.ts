import { Command } from 'commander';
import { addGatewayCommand } from './gateway-command.js';
import { addNodeCommand } from './node-command.js';
import { addClusterCommand } from './cluster-command.js';
import { addMigrateCommand } from './migrate-command.js';

const program = new Command('shardstore')
  .description('Shardstore: a distributed, erasure-coded object store')
  .showHelpAfterError();
addClusterCommand(program);
addGatewayCommand(program);
addNodeCommand(program);
addMigrateCommand(program);
await program.parseAsync(process.argv);
