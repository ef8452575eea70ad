import { Command } from 'commander';
import { addGatewayCommand } from './gateway-command.js';
import { addNodeCommand } from './node-command.js';
import { addClusterCommand } from './cluster-command.js';
import { addMigrateCommand } from './migrate-command.js';
import { addKeysCommand } from './keys-command.js';
import { addBucketsCommand } from './buckets-command.js';
import { addCaCommand } from './ca-command.js';
import { addImportCommand } from './verbs/import-command.js';
import { addExistsCommand } from './verbs/exists-command.js';
import { addExportCommand } from './verbs/export-command.js';
import { addDeleteCommand } from './verbs/delete-command.js';
import { addDedupeCommand } from './verbs/dedupe-command.js';
import { addNginxConfCommand } from './nginx-conf-command.js';
import { addSqlFunctionsCommand } from './sql-functions-command.js';
import { addPutCommand } from './verbs/put-command.js';
import { addGetCommand } from './verbs/get-command.js';
import { addNodesCommand } from './verbs/nodes-command.js';
import { addInfoCommand } from './verbs/info-command.js';
import { addLogCommand } from './verbs/log-command.js';

// Every subcommand is registered here, but the modules that run a process (gateway, node, cluster) are
// imported by their actions: a storage node then loads neither the gateway's HTTP APIs nor its metadata
// drivers, which is tens of MiB of resident memory on each of N nodes.
const program = new Command('shardstore')
  .description('Shardstore: a distributed, erasure-coded object store')
  .showHelpAfterError();
addClusterCommand(program);
addGatewayCommand(program);
addNodeCommand(program);
addMigrateCommand(program);
addKeysCommand(program);
addBucketsCommand(program);
addCaCommand(program);
addPutCommand(program);
addGetCommand(program);
addNodesCommand(program);
addInfoCommand(program);
addLogCommand(program);
addImportCommand(program);
addExistsCommand(program);
addExportCommand(program);
addDeleteCommand(program);
addDedupeCommand(program);
addNginxConfCommand(program);
addSqlFunctionsCommand(program);
await program.parseAsync(process.argv);
