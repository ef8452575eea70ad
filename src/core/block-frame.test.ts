import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { blockChecksum, bytesOf, frameIntact } from './block-frame.js';

/** `whole` cut at the given points (sorted, deduplicated, inside it). */
function cut(whole: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (whole.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, whole.length]) {
    pieces.push(whole.subarray(from, p));
    from = p;
  }
  return pieces;
}

test('a frame in pieces is intact exactly when the joined frame is; any byte changed or missing is caught (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (size, points, flip) => {
      const block = randomBytes(size);
      const frame = Buffer.concat([block, blockChecksum(block)]);
      assert.equal(frameIntact(cut(frame, points), size), true);
      const bad = Buffer.from(frame);
      bad[flip % bad.length]! ^= 0x01;
      assert.equal(frameIntact(cut(bad, points), size), false, 'one flipped bit');
      assert.equal(frameIntact(cut(frame.subarray(0, frame.length - 1), points), size), false, 'one byte short');
    }),
  );
});

test('bytes of what arrived in pieces equal the same bytes of the joined whole (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2000 }), fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), fc.nat(), (size, points, a, b) => {
      const whole = randomBytes(size);
      const start = a % size;
      const end = start + 1 + (b % (size - start));
      assert.deepEqual(bytesOf(cut(whole, points), start, end), whole.subarray(start, end));
    }),
  );
});
