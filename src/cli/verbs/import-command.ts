import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { call, CliFailure, EXIT, failureFrom, keyPath, readText, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

/** IMPORT [001]: stores a local file at a path-API key (write-once: an existing key answers exit 1). */
export function addImportCommand(program: Command): void {
  withGatewayOptions(program.command('import').argument('<key>', 'path-API key').argument('<file>', 'local file'))
    .description('store a local file at KEY (exit 0 stored, 1 KEY exists, 2 error)')
    .action((key: string, file: string, opts: ClientOptions) =>
      runClientCommand('import', async () => {
        const info = await stat(file).catch((error: Error) => {
          throw new CliFailure(`cannot read ${file}: ${error.message}`, EXIT.ERROR);
        });
        if (!info.isFile()) throw new CliFailure(`${file} is not a regular file`, EXIT.ERROR);
        const response = await call(opts, 'POST', keyPath(key), { stream: createReadStream(file), length: info.size });
        if (response.statusCode === 405) throw await failureFrom(response, EXIT.NO);
        if (response.statusCode !== 201) throw await failureFrom(response);
        process.stdout.write(`${(await readText(response)).trim()}\n`);
      }),
    );
}
