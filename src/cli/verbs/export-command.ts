import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { call, CliFailure, EXIT, failureFrom, keyPath, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

/** EXPORT [001]: writes the object at KEY to a local file (or stdout with `-`); 1 if there is none. */
export function addExportCommand(program: Command): void {
  withGatewayOptions(program.command('export').argument('<key>', 'path-API key').argument('<file>', "local file, or '-' for stdout"))
    .description('write the object at KEY to FILE (exit 0 written, 1 no such object, 2 error)')
    .action((key: string, file: string, opts: ClientOptions) =>
      runClientCommand('export', async () => {
        const response = await call(opts, 'GET', keyPath(key));
        if (response.statusCode === 404) throw await failureFrom(response, EXIT.NO);
        if (response.statusCode !== 200) throw await failureFrom(response);
        const expected = Number(response.headers['content-length']);
        let received = 0;
        response.on('data', (chunk: Buffer) => (received += chunk.length));
        if (file === '-') {
          await pipeline(response, process.stdout);
          return;
        }
        // A partial download never takes the file's name.
        const partial = `${file}.partial-${process.pid}`;
        try {
          await pipeline(response, createWriteStream(partial));
          if (Number.isFinite(expected) && received !== expected) {
            throw new CliFailure(`the download ended after ${received} of ${expected} bytes`, EXIT.ERROR);
          }
          await rename(partial, file);
        } catch (error) {
          await rm(partial, { force: true });
          throw error instanceof CliFailure ? error : new CliFailure(`writing ${file}: ${(error as Error).message}`, EXIT.ERROR);
        }
      }),
    );
}
