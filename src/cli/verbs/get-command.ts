import { basename } from 'node:path';
import type { Command } from 'commander';
import { runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';
import { downloadFile } from '../transfers.js';

export function addGetCommand(program: Command): void {
  withGatewayOptions(program.command('get').argument('<key>', 'path-API key').argument('[file]', "local file, or '-' for stdout (default: the key's last segment)"))
    .description('download KEY, with a progress bar on a terminal (exit 0 written, 1 no such object, 2 error)')
    .action((key: string, file: string | undefined, opts: ClientOptions) => runClientCommand('get', () => downloadFile(opts, key, file ?? basename(key))));
}
