import { z } from 'zod';
import { validateScheme } from '../core/erasure-scheme.js';
import { GATEWAY_OPTIONS } from './gateway-options.js';
import { shapeOf } from './option-table.js';

/** The gateway's configuration, as src/config/gateway-options.ts defines it, with the erasure scheme checked whole. */
export const gatewayConfigSchema = z.object(shapeOf(GATEWAY_OPTIONS)).superRefine((c, ctx) => {
  for (const message of validateScheme({ dataShards: c.dataShards, parityShards: c.parityShards, blockSize: c.blockSize })) {
    ctx.addIssue({ code: 'custom', message });
  }
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
