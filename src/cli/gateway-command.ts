import type { Command } from 'commander';
import { gatewayConfigSchema } from '../config/gateway-config.js';
import { GATEWAY_OPTIONS } from '../config/gateway-options.js';
import { validateConfig } from '../config/validate.js';
import { addOptions, rawConfig } from './config-options.js';
import { runProcess } from './run-process.js';

export function addGatewayCommand(program: Command): void {
  const command = program.command('gateway').description('run the client-facing gateway (path API, file store API, S3 API, admin API)');
  addOptions(command, GATEWAY_OPTIONS).action(async (opts: Record<string, string | undefined>) => {
    await runProcess('gateway', async (log) => {
      const config = validateConfig(gatewayConfigSchema, rawConfig(GATEWAY_OPTIONS, opts), GATEWAY_OPTIONS);
      const { startGateway } = await import('../processes/gateway.js');
      return startGateway(config, log);
    });
  });
}
