import { basename } from 'node:path';
import type { Command } from 'commander';
import { runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';
import { uploadFile } from '../transfers.js';

export function addPutCommand(program: Command): void {
  withGatewayOptions(program.command('put').argument('<file>', 'local file').argument('[key]', 'path-API key (default: the file name)'))
    .description('upload FILE to KEY, with a progress bar on a terminal (exit 0 stored, 1 KEY exists, 2 error)')
    .option('--json', "print the gateway's answer as JSON")
    .action((file: string, key: string | undefined, opts: ClientOptions & { json?: boolean }) =>
      runClientCommand('put', async () => {
        const target = key ?? basename(file);
        const answer = await uploadFile(opts, target, file);
        if (opts.json) process.stdout.write(`${answer}\n`);
        else {
          const stored = JSON.parse(answer) as { key: string; size: number; etag: string };
          process.stdout.write(`stored ${stored.key} (${stored.size} bytes, etag ${stored.etag})\n`);
        }
      }),
    );
}
