import { MemoryShardStore } from './memory-shard-store.js';
import { shardStoreContract } from './shard-store.contract.js';

shardStoreContract('memory shard store', async () => ({ store: new MemoryShardStore('n1', 'memory://n1', 1024 ** 3), close: async () => undefined }));
