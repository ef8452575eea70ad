import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { splitIntoStripes } from './stripe-splitter.js';
import { BufferPool } from './buffer-pool.js';

async function* chunked(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const n = Math.max(1, sizes[i++ % Math.max(sizes.length, 1)] ?? data.length);
    yield data.subarray(at, at + n);
    at += n;
  }
}

test('stripes reassemble to the input, whatever the chunking', async () => {
  const stripe = 48;
  const edge = [0, 1, stripe - 1, stripe, stripe + 1, 2 * stripe - 1, 2 * stripe, 2 * stripe + 1, 10 * stripe + 7];
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constantFrom(...edge), fc.integer({ min: 0, max: 1000 })),
      fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 10 }),
      async (size, sizes) => {
        const data = randomBytes(size);
        const out: Buffer[] = [];
        const lengths: number[] = [];
        for await (const s of splitIntoStripes(chunked(data, sizes), stripe)) {
          lengths.push(s.length);
          out.push(Buffer.from(s.buffer.subarray(0, s.length)));
        }
        assert.ok(Buffer.concat(out).equals(data));
        assert.equal(lengths.length, Math.ceil(size / stripe));
        assert.ok(lengths.slice(0, -1).every((l) => l === stripe), 'only the last stripe may be short');
      },
    ),
  );
});

test('a stripe being filled goes back to the pool when the source fails', async () => {
  const pool = new BufferPool(16, 4);
  let handedOut: Buffer | undefined;
  const buffers = { acquire: () => (handedOut = pool.acquire()), release: (b: Buffer) => pool.release(b) };
  async function* failing(): AsyncGenerator<Buffer> {
    yield randomBytes(10);
    throw new Error('client went away');
  }
  await assert.rejects(async () => {
    for await (const _ of splitIntoStripes(failing(), 16, buffers)) assert.fail('no stripe is complete');
  }, /client went away/);
  assert.equal(pool.acquire(), handedOut, 'the partly filled buffer was recycled');
});
