import type { Command } from 'commander';
import { runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';
import { uploadFile } from '../transfers.js';

/** IMPORT: stores a local file at a path-API key (write-once: an existing key answers exit 1). */
export function addImportCommand(program: Command): void {
  withGatewayOptions(program.command('import').argument('<key>', 'path-API key').argument('<file>', 'local file'))
    .description('store a local file at KEY (exit 0 stored, 1 KEY exists, 2 error)')
    .action((key: string, file: string, opts: ClientOptions) =>
      runClientCommand('import', async () => {
        process.stdout.write(`${await uploadFile(opts, key, file)}\n`);
      }),
    );
}
