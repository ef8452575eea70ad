import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ContentDigest } from './content-digest.js';
import { DigestWorker } from './digest-worker.js';

test('the worker digests a body cut into any chunks exactly as the calling thread does', async () => {
  const worker = new DigestWorker({ minBytes: 0, slabBytes: 4096, slabsPerBody: 2 });
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 12 }), async (sizes) => {
        const chunks = sizes.map((n) => randomBytes(n));
        const inWorker = worker.start();
        const local = new ContentDigest();
        for (const chunk of chunks) {
          local.update(chunk);
          const wait = inWorker.update(chunk);
          if (wait) await wait;
        }
        assert.deepEqual(await inWorker.digest(), local.digest());
      }),
      { numRuns: 60 },
    );
  } finally {
    await worker.close();
  }
});

test('bodies digested side by side keep their own state; a cancelled one frees its slabs', async () => {
  const worker = new DigestWorker({ minBytes: 0, slabBytes: 1024, slabsPerBody: 1 });
  try {
    const a = worker.start();
    const b = worker.start();
    const dropped = worker.start();
    const [x, y] = [randomBytes(10_000), randomBytes(7_000)];
    await Promise.all([a.update(x), b.update(y), dropped.update(randomBytes(3000))]);
    dropped.cancel();
    const expect = (buf: Buffer) => { const d = new ContentDigest(); d.update(buf); return d.digest(); };
    assert.deepEqual(await b.digest(), expect(y));
    assert.deepEqual(await a.digest(), expect(x));
    await assert.rejects(async () => dropped.digest());
  } finally {
    await worker.close();
  }
});

test('small bodies are hashed on the calling thread', () => {
  const worker = new DigestWorker({ minBytes: 1 << 20 });
  assert.ok(worker.start(100) instanceof ContentDigest);
  assert.ok(!(worker.start() instanceof ContentDigest));
});

test('the thread stops when no body has come for a while, and the next body starts it again', async () => {
  const worker = new DigestWorker({ minBytes: 0, slabBytes: 1024, idleMs: 50 });
  const digestOf = async (data: Buffer) => {
    const body = worker.start();
    const wait = body.update(data);
    if (wait) await wait;
    return body.digest();
  };
  const expect = (buf: Buffer) => { const d = new ContentDigest(); d.update(buf); return d.digest(); };
  try {
    const first = randomBytes(5000);
    assert.deepEqual(await digestOf(first), expect(first));
    assert.equal(worker.threadRunning, true);
    const pending = worker.start(); // a body in progress keeps the thread, however long it takes
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(worker.threadRunning, true);
    pending.cancel();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(worker.threadRunning, false, 'idle: stopped');
    const second = randomBytes(7000);
    assert.deepEqual(await digestOf(second), expect(second), 'started again for the next body');
  } finally {
    await worker.close();
  }
});
