import { z } from 'zod';
import { byteSize, port, positiveInt } from './validate.js';

export const clusterConfigSchema = z.object({
  dir: z.string().min(1),
  port,
  host: z.string().default('127.0.0.1'),
  nodes: positiveInt.default(8),
  dataShards: positiveInt.default(6),
  parityShards: z.coerce.number().int().min(0).default(2),
  blockSize: byteSize.optional(),
  nodeCapacity: byteSize.optional(),
  /** Metadata store URL; SQLite in `<dir>/meta.db` by default. */
  db: z.string().optional(),
  /** The S3 API's port; a free one when not given. */
  s3Port: port.optional(),
  gcGrace: z.coerce.number().min(0).optional(),
  gcInterval: z.coerce.number().min(0).optional(),
  /** The gateway's --idle-timeout, in ms. */
  idleTimeout: positiveInt.optional(),
  /** `always`: a child that dies once the cluster runs is started again, with back-off; `never`: left dead (tests that kill on purpose). */
  restart: z.enum(['always', 'never']).default('always'),
});
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
