import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startStorageNode } from '../processes/storage-node.js';
import { nodeConfigSchema } from '../config/node-config.js';
import { HttpShardStore } from './http-shard-store.js';
import { shardStoreContract } from './shard-store.contract.js';

const SECRET = 'contract-secret';

// A real storage node on a temp directory and a loopback port; its heartbeats go to a gateway that is
// not there, which it logs (silently here) and carries on.
shardStoreContract('HTTP shard store on a real node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-contract-'));
  const node = await startStorageNode(
    nodeConfigSchema.parse({ dir, port: 0, gateway: 'http://127.0.0.1:9', secret: SECRET, capacity: 1024 ** 3, heartbeatMs: 60_000 }),
    pino({ level: 'silent' }),
  );
  const store = new HttpShardStore(node.url, SECRET);
  return {
    store,
    async close() {
      await store.close();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
