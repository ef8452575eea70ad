import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startStorageNode } from '../processes/storage-node.js';
import { nodeConfigSchema } from '../config/node-config.js';
import { bearer, nodeRoutes } from '../node-protocol/protocol.js';
import { newShardId } from '../core/ids.js';

const SECRET = 'large-reads-secret';

/**
 * Large reads are written from recycled buffers the file is read into. A buffer handed back to the pool
 * while the socket still held it would send another response's bytes: many concurrent reads, whole and
 * ranged, some cut off after their first bytes, must each return exactly the shard's bytes.
 */
test('concurrent large shard reads from recycled buffers, some cut off midway: every completed one exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-large-reads-'));
  const node = await startStorageNode(
    nodeConfigSchema.parse({ dir, port: 0, gateway: 'http://127.0.0.1:9', secret: SECRET, capacity: 1024 ** 3, heartbeatMs: 60_000 }),
    pino({ level: 'silent' }),
  );
  try {
    const auth = { authorization: bearer(SECRET) };
    const shards = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const id = newShardId();
        const bytes = randomBytes(600_000 + i * 333_333);
        const res = await fetch(`${node.url}${nodeRoutes.shard(id)}`, { method: 'PUT', headers: auth, body: bytes });
        assert.equal(res.status, 201);
        return { id, bytes };
      }),
    );
    let cut = 0;
    const reads = Array.from({ length: 60 }, async (_, n) => {
      const { id, bytes } = shards[n % shards.length]!;
      const whole = n % 3 === 0;
      const start = whole ? 0 : randomInt(0, bytes.length - 300_000);
      const end = whole ? bytes.length - 1 : randomInt(start + 270_000, bytes.length);
      const headers = whole ? auth : { ...auth, range: `bytes=${start}-${end}` };
      const res = await fetch(`${node.url}${nodeRoutes.shard(id)}`, { headers });
      assert.equal(res.status, whole ? 200 : 206);
      if (n % 5 === 4) {
        // A reader that goes away after the first piece: its buffers must not be reused while queued.
        const reader = res.body!.getReader();
        await reader.read();
        await reader.cancel();
        cut++;
        return;
      }
      const got = Buffer.from(await res.arrayBuffer());
      assert.ok(got.equals(bytes.subarray(start, end + 1)), `read ${n} of ${id} [${start}, ${end}] exact`);
    });
    await Promise.all(reads);
    assert.equal(cut, 12);
    // The node is still whole after the cut-off readers: a last read of each shard is exact.
    for (const { id, bytes } of shards) {
      const res = await fetch(`${node.url}${nodeRoutes.shard(id)}`, { headers: auth });
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `${id} exact after the cut-off reads`);
    }
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
