import { z } from 'zod';
import type { OptionTable } from './option-table.js';
import { byteSize, port, positiveInt } from './validate.js';

/** Every option of `shardstore cluster`: the single source of its flags, defaults and schema. */
export const CLUSTER_OPTIONS = {
  dir: { flag: 'dir', value: 'D', default: './data', help: 'directory for all data, logs and `cluster.json`', schema: z.string().min(1) },
  port: { flag: 'port', value: 'P', default: '8080', help: 'gateway port (nodes get free ports)', schema: port },
  host: { flag: 'host', value: 'H', default: '127.0.0.1', help: 'address everything binds to', schema: z.string().min(1) },
  nodes: { flag: 'nodes', value: 'N', default: '8', help: 'number of storage nodes', schema: positiveInt },
  machines: {
    flag: 'machines', value: 'N', defaultText: 'one: this machine',
    help: 'label the nodes as if on N machines (node i gets --machine machine-<i mod N>), to see failure domains at work on one box',
    doc: 'label the nodes as if they ran on N machines (node *i* gets `--machine machine-<((i−1) mod N)+1>`), so that placement spreads every part over them as it would over real machines — to try failure domains on one box; the nodes still share this machine\'s disk',
    schema: positiveInt.optional(),
  },
  dataShards: { flag: 'data-shards', value: 'K', default: '6', help: 'data shards per object', schema: positiveInt },
  parityShards: { flag: 'parity-shards', value: 'M', default: '2', help: 'parity shards per object (0..K)', schema: z.coerce.number().int().min(0) },
  blockSize: { flag: 'block-size', value: 'B', defaultText: '`256KiB`', help: 'shard block size (e.g. 1MiB)', schema: byteSize.optional() },
  nodeCapacity: {
    flag: 'node-capacity', value: 'BYTES', defaultText: "the disk's free space", help: 'declared capacity of each node (default: free disk space)',
    doc: 'declared capacity of each node (e.g. `1GiB`); the nodes of a local cluster share one disk, whose free space is counted once, split among them',
    schema: byteSize.optional(),
  },
  db: {
    flag: 'db', value: 'URL', defaultText: '`sqlite:D/meta.db`', help: 'metadata store (default sqlite:DIR/meta.db)',
    doc: 'metadata store (`sqlite:FILE` or `postgres://…`)', schema: z.string().min(1, 'the metadata store URL is empty').optional(),
  },
  gcGrace: { flag: 'gc-grace', value: 'S', defaultText: '`3600`', help: "passed to the gateway: the cleaner's grace period", doc: 'passed to the gateway (see below)', schema: z.coerce.number().min(0).optional() },
  gcInterval: { flag: 'gc-interval', value: 'S', defaultText: '`60`', help: 'passed to the gateway: seconds between cleaner passes', doc: 'passed to the gateway (see below)', schema: z.coerce.number().min(0).optional() },
  idleTimeout: {
    flag: 'idle-timeout', value: 'MS', defaultText: '`30000`', help: 'passed to the gateway: cut off a client that sends and reads nothing for this long',
    doc: 'passed to the gateway (see below)', schema: positiveInt.optional(),
  },
  dbTimeout: {
    flag: 'db-timeout', value: 'MS', defaultText: '`10000`', help: 'passed to the gateway: a PostgreSQL statement unanswered this long fails with 503',
    doc: 'passed to the gateway (see below)', schema: z.coerce.number().int().min(0).optional(),
  },
  s3Port: { flag: 's3-port', value: 'P', defaultText: 'a free port (`npm start`: `9000`)', help: 'port of the S3-compatible API (default: a free port)', doc: 'port of the S3 API', schema: port.optional() },
  tls: {
    flag: 'tls', value: '', defaultText: 'off: plain HTTP',
    help: 'TLS everywhere: a cluster CA in DIR/tls/, a certificate per process, HTTPS between them and on the gateway',
    doc: 'TLS everywhere, as on several machines: a cluster CA made once in `D/tls/` (`ca.crt`), a certificate per process; the gateway, the S3 API and the nodes answer HTTPS and check each other against the CA (curl: `--cacert D/tls/ca.crt`)',
    schema: z.boolean().optional(),
  },
  restart: {
    flag: 'restart', value: 'always|never', default: 'always', help: 'always: start a child that dies again, with back-off; never: leave it dead',
    doc: 'start a child that dies again (with back-off), or leave it dead',
    schema: z.enum(['always', 'never']),
  },
} satisfies OptionTable;
