import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { LocalCluster } from '../helpers/local-cluster.js';

/**
 * Reads share pooled buffers (block buffers, response buffers, the nodes' framed read buffers): a buffer
 * given back too early would show as wrong bytes in another read. Many reads at once — whole and ranged,
 * large and small, some cut off by their client midway — and every one that completes must be exact.
 */
describe('concurrent reads through pooled buffers, some cut off midway', () => {
  let cluster: LocalCluster;
  const objects: { key: string; data: Buffer }[] = [];
  before(async () => {
    cluster = await LocalCluster.start(8);
    const sizes = [3 * 2 ** 20 + 17, 5 * 2 ** 20, 9 * 2 ** 20 - 3, 200_000, 4096, 1];
    for (const [i, size] of sizes.entries()) {
      const data = randomBytes(size);
      const res = await fetch(`${cluster.url}/concurrent/o${i}.bin`, { method: 'POST', body: data });
      assert.equal(res.status, 201);
      objects.push({ key: `concurrent/o${i}.bin`, data });
    }
  });
  after(() => cluster.stop());

  /** GETs `key` (optionally a range); cuts the connection after `cutAfter` bytes if given. */
  function get(key: string, range: [number, number] | undefined, cutAfter: number | undefined): Promise<Buffer | 'cut'> {
    const { hostname, port } = new URL(cluster.url);
    return new Promise((resolve, reject) => {
      const headers = range ? { range: `bytes=${range[0]}-${range[1]}` } : {};
      const req = request({ hostname, port, path: `/${key}`, headers }, (res) => {
        const chunks: Buffer[] = [];
        let got = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          got += chunk.length;
          if (cutAfter !== undefined && got >= cutAfter) {
            res.destroy();
            resolve('cut');
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', () => resolve('cut'));
      });
      req.on('error', (error) => (cutAfter !== undefined ? resolve('cut') : reject(error)));
      req.end();
    });
  }

  test('every completed read is exact', async () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let completed = 0;
    for (let wave = 0; wave < 4; wave++) {
      const reads = Array.from({ length: 24 }, async () => {
        const { key, data } = objects[random(objects.length)]!;
        const ranged = data.length > 1 && random(3) === 0;
        const start = ranged ? random(data.length - 1) : 0;
        const end = ranged ? start + random(data.length - start) : data.length - 1;
        const cut = data.length > 300_000 && random(3) === 0 ? 1 + random(Math.min(end - start, 2 ** 20)) : undefined;
        const body = await get(key, ranged ? [start, end] : undefined, cut);
        if (body === 'cut') return;
        assert.ok(body.equals(data.subarray(start, end + 1)), `${key} bytes ${start}-${end}`);
        completed++;
      });
      await Promise.all(reads);
    }
    assert.ok(completed >= 40, `${completed} reads completed`);
    // And afterwards, one by one, everything still reads exact.
    for (const { key, data } of objects) assert.ok((await get(key, undefined, undefined) as Buffer).equals(data), key);
  });
});
