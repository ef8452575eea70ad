import { z } from 'zod';
import { CLUSTER_OPTIONS } from './cluster-options.js';
import { shapeOf } from './option-table.js';

/** The local cluster's configuration, as src/config/cluster-options.ts defines it. */
export const clusterConfigSchema = z.object(shapeOf(CLUSTER_OPTIONS));
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
