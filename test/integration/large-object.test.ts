import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { LocalCluster } from '../helpers/local-cluster.js';

const SIZE = Number(process.env.SHARDSTORE_TEST_LARGE_MB ?? 1024) * 2 ** 20;
const RSS_LIMIT_MIB = 150;

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

/** Samples a process's resident memory until stopped; returns the peak in MiB. */
function sampleRss(pid: number): () => number {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

describe(`a ${SIZE / 2 ** 20} MiB object streams through the gateway with flat memory`, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  test('upload and download, exact bytes, gateway RSS below the limit throughout', async () => {
    const { hostname, port } = new URL(cluster.url);
    const pattern = randomBytes(4 * 2 ** 20);
    const sent = createHash('sha256');
    const stopUp = sampleRss(cluster.state.gateway.pid);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ hostname, port, path: '/large/object.bin', method: 'POST', headers: { 'content-length': String(SIZE) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      let at = 0;
      const pump = () => {
        while (at < SIZE) {
          // Vary every chunk so that no two stripes are alike.
          const chunk = Buffer.from(pattern.subarray(0, Math.min(pattern.length, SIZE - at)));
          chunk.writeUInt32LE(at / pattern.length, 0);
          sent.update(chunk);
          at += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    const upPeak = stopUp();
    assert.equal(status, 201);

    const stopDown = sampleRss(cluster.state.gateway.pid);
    const received = createHash('sha256');
    let bytes = 0;
    const res = await fetch(`${cluster.url}/large/object.bin`);
    for await (const chunk of res.body!) {
      received.update(chunk);
      bytes += chunk.length;
    }
    const downPeak = stopDown();
    assert.equal(bytes, SIZE);
    assert.equal(received.digest('hex'), sent.digest('hex'));
    console.log(`gateway peak RSS: upload ${upPeak.toFixed(0)} MiB, download ${downPeak.toFixed(0)} MiB`);
    assert.ok(upPeak < RSS_LIMIT_MIB, `upload peak RSS ${upPeak} MiB`);
    assert.ok(downPeak < RSS_LIMIT_MIB, `download peak RSS ${downPeak} MiB`);
  });
});
