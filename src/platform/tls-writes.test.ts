import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TLS_WRITE_PIECE, writeInPieces } from './tls-writes.js';

/** A writer that records its pieces and answers their callbacks later, as a socket does. */
function recorder(fail?: number) {
  const pieces: Buffer[] = [];
  const callbacks: ((error?: Error | null) => void)[] = [];
  return {
    pieces,
    write(chunk: Uint8Array, callback: (error?: Error | null) => void) {
      pieces.push(Buffer.from(chunk));
      callbacks.push(callback);
      return pieces.length < 3;
    },
    settle() {
      callbacks.forEach((cb, i) => cb(i === fail ? new Error(`piece ${i} failed`) : null));
    },
  };
}

test('writeInPieces: the same bytes in pieces of at most 64 KiB, one callback after the last, the last write\'s backpressure', () => {
  for (const size of [0, 1, TLS_WRITE_PIECE, TLS_WRITE_PIECE + 1, 4 * TLS_WRITE_PIECE, 1 << 20]) {
    const chunk = randomBytes(size);
    const out = recorder();
    const calls: (Error | null | undefined)[] = [];
    const ok = writeInPieces(out, chunk, (error) => calls.push(error));
    assert.ok(out.pieces.every((p) => p.length <= TLS_WRITE_PIECE));
    assert.equal(out.pieces.length, Math.max(1, Math.ceil(size / TLS_WRITE_PIECE)));
    assert.ok(Buffer.concat(out.pieces).equals(chunk));
    assert.equal(ok, out.pieces.length < 3, 'what the last write returned');
    assert.equal(calls.length, 0, 'nothing is taken before the socket says so');
    out.settle();
    assert.deepEqual(calls, [null]);
  }
});

test('writeInPieces: a failed piece is told once, and the last piece\'s callback is then silent', () => {
  const out = recorder(1);
  const calls: (Error | null | undefined)[] = [];
  writeInPieces(out, randomBytes(3 * TLS_WRITE_PIECE), (error) => calls.push(error));
  out.settle();
  assert.equal(calls.length, 1);
  assert.match(String(calls[0]), /piece 1 failed/);
});
