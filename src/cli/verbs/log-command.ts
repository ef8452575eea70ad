import type { Command } from 'commander';
import { call, failureFrom, readText, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

interface Entry { time: string; action: string; object: string | null; bucket: string | null; key: string | null; client: string | null; bytes: number; duration_ms: number; result: string }

export function addLogCommand(program: Command): void {
  withGatewayOptions(program.command('log'))
    .description('the action log, newest first (admin token)')
    .option('--object <id>', 'only this object')
    .option('--action <action>', 'only create, download, expire, purge, abort or dedupe')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print the JSON answer')
    .action((opts: ClientOptions & { object?: string; action?: string; limit: string; json?: boolean }) =>
      runClientCommand('log', async () => {
        const query = new URLSearchParams({ limit: opts.limit });
        if (opts.object) query.set('object', opts.object);
        if (opts.action) query.set('action', opts.action);
        const response = await call(opts, 'GET', `/_log?${query}`);
        if (response.statusCode !== 200) throw await failureFrom(response);
        const text = await readText(response);
        if (opts.json) {
          process.stdout.write(`${text.trim()}\n`);
          return;
        }
        for (const e of (JSON.parse(text) as { entries: Entry[] }).entries) {
          const what = e.key ?? e.object ?? '-';
          process.stdout.write(`${e.time}  ${e.action.padEnd(8)} ${what}  ${e.bytes} bytes  ${e.duration_ms} ms  ${e.client ?? '-'}  ${e.result}\n`);
        }
      }),
    );
}
