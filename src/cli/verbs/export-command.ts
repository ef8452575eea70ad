import type { Command } from 'commander';
import { runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';
import { downloadFile } from '../transfers.js';

/** EXPORT: writes the object at KEY to a local file (or stdout with `-`); 1 if there is none. */
export function addExportCommand(program: Command): void {
  withGatewayOptions(program.command('export').argument('<key>', 'path-API key').argument('<file>', "local file, or '-' for stdout"))
    .description('write the object at KEY to FILE (exit 0 written, 1 no such object, 2 error)')
    .action((key: string, file: string, opts: ClientOptions) => runClientCommand('export', () => downloadFile(opts, key, file)));
}
