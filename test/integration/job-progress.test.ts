import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster } from '../helpers/local-cluster.js';

interface ScrubStatus {
  running: boolean;
  progress: { shardsChecked: number; bytesChecked: number } | null;
  last: { summary?: { shardsChecked: number; bytesChecked: number } } | null;
}

/** A long pass shows how far it has come in its job status while it runs (what the console displays). */
describe('job progress while a pass runs', () => {
  let cluster: LocalCluster;
  before(async () => {
    // Slow enough that the pass over ~2.7 MB of shards lasts several seconds (the gateway reads this default).
    process.env['SHARDSTORE_SCRUB_RATE'] = '512KiB';
    cluster = await LocalCluster.start(8);
    for (let i = 0; i < 2; i++) {
      assert.equal((await fetch(`${cluster.url}/progress/${i}.bin`, { method: 'POST', body: randomBytes(1_000_000) })).status, 201);
    }
  });
  after(async () => {
    await cluster.stop();
  });

  test('GET /_scrub during a pass: running, with the shards and bytes checked so far; after it, the summary', async () => {
    const status = async () => (await (await cluster.admin('/_scrub')).json()) as ScrubStatus;
    assert.equal((await status()).progress, null, 'no pass, no progress');
    const pass = cluster.admin('/_scrub', { method: 'POST' });
    let seen: ScrubStatus['progress'] = null;
    const deadline = Date.now() + 30_000;
    while (!seen || seen.bytesChecked === 0) {
      assert.ok(Date.now() < deadline, 'progress showed within 30 s');
      const s = await status();
      if (s.running) seen = s.progress;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.shardsChecked >= 1);
    const done = (await (await pass).json()) as { shardsChecked: number; bytesChecked: number };
    assert.ok(done.shardsChecked > seen.shardsChecked, 'the pass went on after the progress was read');
    const after = await status();
    assert.deepEqual([after.running, after.progress], [false, null]);
    assert.equal(after.last!.summary!.shardsChecked, done.shardsChecked);
  });
});
