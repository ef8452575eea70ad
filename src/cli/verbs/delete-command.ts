import type { Command } from 'commander';
import { call, EXIT, failureFrom, keyPath, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

/** DELETE: marks the object at KEY deleted; the cleaner removes its shards. Admin only. */
export function addDeleteCommand(program: Command): void {
  withGatewayOptions(program.command('delete').argument('<key>', 'path-API key'))
    .description('delete the object at KEY; the cleaner frees its shards (exit 0 deleted, 1 no such object, 2 error; admin token)')
    .action((key: string, opts: ClientOptions) =>
      runClientCommand('delete', async () => {
        const response = await call(opts, 'DELETE', `/_objects${keyPath(key)}`);
        if (response.statusCode === 404) throw await failureFrom(response, EXIT.NO);
        if (response.statusCode !== 204) throw await failureFrom(response);
        response.resume();
        process.stdout.write(`${key}: deleted\n`);
      }),
    );
}
