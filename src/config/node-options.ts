import { z } from 'zod';
import type { OptionTable } from './option-table.js';
import { byteSize, port, positiveInt } from './validate.js';

/** Every option of `shardstore node`: the single source of its flags, environment, defaults and schema. */
export const NODE_OPTIONS = {
  dir: { flag: 'dir', value: 'D', env: 'SHARDSTORE_NODE_DIR', required: true, help: 'data directory (shards, node id)',
    doc: 'data directory: `node.json` (the persistent node id), `shards/`, `volumes/`, `tmp/`',
    schema: z.string().min(1, 'the data directory is required'),
  },
  port: { flag: 'port', value: 'P', env: 'SHARDSTORE_NODE_PORT', default: '0', defaultText: '`0` (any free port)', help: 'port to listen on (0 picks a free one)', schema: port },
  host: { flag: 'host', value: 'H', env: 'SHARDSTORE_NODE_HOST', default: '127.0.0.1', help: 'address to bind', schema: z.string().min(1) },
  advertiseUrl: { flag: 'advertise-url', value: 'URL', env: 'SHARDSTORE_NODE_URL', defaultText: '`http://HOST:PORT`',
    help: 'URL the gateway uses to reach the node', schema: z.url().optional(),
  },
  gateway: { flag: 'gateway', value: 'URL', env: 'SHARDSTORE_GATEWAY', required: true, help: 'gateway to register and heartbeat with',
    schema: z.url({ message: 'the gateway URL is required (e.g. http://127.0.0.1:8080)' }),
  },
  secret: { flag: 'secret', value: 'S', env: 'SHARDSTORE_NODE_SECRET', required: true, secret: true,
    help: "cluster secret (the gateway's --node-secret; prefer --secret-file or the environment: argv is visible in ps)",
    doc: "the gateway's `--node-secret`",
    schema: z.string().min(8, 'the cluster secret is required (at least 8 characters)'),
  },
  reserve: { flag: 'reserve', value: 'BYTES', env: 'SHARDSTORE_NODE_RESERVE', defaultText: '1 % of the disk, at most `1GiB`',
    help: 'bytes kept free on the disk; shard writes are refused (507) below it (default: 1% of the disk, at most 1GiB)',
    doc: 'bytes kept free: shard writes are refused at once with `507` below it, and the node reports only the room above it',
    schema: byteSize.optional(),
  },
  capacity: { flag: 'capacity', value: 'BYTES', env: 'SHARDSTORE_NODE_CAPACITY', defaultText: "the file system's free space (read again every heartbeat) + shards held",
    help: 'declared capacity (default: free disk space at start)',
    doc: 'capacity that fill ratios are measured against; the gateway caps it at what the disk really has, and nodes sharing a file system split its free space',
    schema: byteSize.optional(),
  },
  zone: {
    flag: 'zone', value: 'Z', env: 'SHARDSTORE_NODE_ZONE', default: 'default',
    help: 'failure domain: the zone (room, rack row, data centre) the node is in; a part\'s shards are spread over zones',
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'a zone name: letters, digits and . _ : - (at most 100)'),
  },
  machine: {
    flag: 'machine', value: 'M', env: 'SHARDSTORE_NODE_MACHINE', defaultText: "the machine's hostname",
    help: 'failure domain: the machine the node runs on (nodes on one disk or box share it); a part\'s shards are spread over machines',
    doc: 'failure domain: the machine the node runs on; no machine holds more of a part\'s shards than the machines allow (two of 6 + 2 on four machines), so losing one loses no object. `--host` is the bind address',
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,255}$/, 'a machine name: letters, digits and . _ : - (at most 255)').optional(),
  },
  heartbeatMs: { flag: 'heartbeat', value: 'MS', env: 'SHARDSTORE_NODE_HEARTBEAT', default: '1000', help: 'heartbeat interval', schema: positiveInt },
} satisfies OptionTable;
