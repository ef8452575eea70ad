import type { Command } from 'commander';
import { call, failureFrom, readText, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

/** DEDUPLICATE: one deduplication pass now; prints its JSON summary. Admin only. */
export function addDedupeCommand(program: Command): void {
  withGatewayOptions(program.command('dedupe'))
    .description('make objects with the same content share one set of shards now (admin token)')
    .action((opts: ClientOptions) =>
      runClientCommand('dedupe', async () => {
        const response = await call(opts, 'POST', '/_dedupe');
        if (response.statusCode !== 200) throw await failureFrom(response);
        process.stdout.write(`${(await readText(response)).trim()}\n`);
      }),
    );
}
