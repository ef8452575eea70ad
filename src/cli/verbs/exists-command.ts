import type { Command } from 'commander';
import { call, EXIT, failureFrom, keyPath, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

/** EXIST: exit 0 if a live object has the key, 1 if not, 2 if the gateway could not say. */
export function addExistsCommand(program: Command): void {
  withGatewayOptions(program.command('exists').argument('<key>', 'path-API key'))
    .description('whether an object exists at KEY (exit 0 yes, 1 no, 2 error; admin token)')
    .option('-q, --quiet', 'print nothing, answer by the exit code only')
    .action((key: string, opts: ClientOptions & { quiet?: boolean }) =>
      runClientCommand('exists', async () => {
        const response = await call(opts, 'HEAD', `/_objects${keyPath(key)}`);
        if (response.statusCode === 200 || response.statusCode === 404) {
          response.resume();
          const found = response.statusCode === 200;
          if (!opts.quiet) process.stdout.write(`${key}: ${found ? 'exists' : 'does not exist'}\n`);
          return found ? EXIT.OK : EXIT.NO;
        }
        throw await failureFrom(response);
      }),
    );
}
