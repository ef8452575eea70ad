import { z } from 'zod';
import { NODE_OPTIONS } from './node-options.js';
import { shapeOf } from './option-table.js';

/** A storage node's configuration, as src/config/node-options.ts defines it. */
export const nodeConfigSchema = z.object(shapeOf(NODE_OPTIONS));
export type NodeConfig = z.infer<typeof nodeConfigSchema>;
