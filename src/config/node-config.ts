import { z } from 'zod';
import { byteSize, port, positiveInt } from './validate.js';

export const nodeConfigSchema = z.object({
  dir: z.string().min(1, 'the data directory is required'),
  port,
  host: z.string().default('127.0.0.1'),
  /** The URL the gateway should use to reach this node; defaults to http://host:port. */
  advertiseUrl: z.url().optional(),
  gateway: z.url({ message: 'the gateway URL is required (e.g. http://127.0.0.1:8080)' }),
  secret: z.string().min(8, 'the cluster secret is required (at least 8 characters)'),
  /** Declared capacity in bytes; defaults to the disk's free space at start plus what the node holds. */
  capacity: byteSize.optional(),
  heartbeatMs: positiveInt.default(1000),
  /** Bytes kept free on the file system; shard writes are refused (507) below it. Default: 1 % of it, at most 1 GiB. */
  reserve: byteSize.optional(),
});
export type NodeConfig = z.infer<typeof nodeConfigSchema>;
