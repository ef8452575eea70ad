import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LARGE_PIECE_READS, LARGE_READ_PIECE, ReadPieceBudget, SMALL_READ_PIECE } from './read-pieces.js';

test('large reads get 1 MiB pieces up to the budget, then 64 KiB ones; a finished read frees its place once', () => {
  const budget = new ReadPieceBudget();
  const large = Array.from({ length: LARGE_PIECE_READS }, () => budget.take(64 * 2 ** 20));
  for (const read of large) {
    assert.equal(read.pool.bufferSize, LARGE_READ_PIECE);
    assert.equal(read.buffers, 2);
  }
  assert.equal(budget.largeReadsRunning, LARGE_PIECE_READS);
  const over = budget.take(64 * 2 ** 20);
  assert.equal(over.pool.bufferSize, SMALL_READ_PIECE);
  assert.equal(over.buffers, 4);
  over.done();
  assert.equal(budget.largeReadsRunning, LARGE_PIECE_READS, 'a small-piece read holds no large place');
  large[0]!.done();
  large[0]!.done();
  assert.equal(budget.largeReadsRunning, LARGE_PIECE_READS - 1, 'done twice frees one place');
  assert.equal(budget.take(64 * 2 ** 20).pool.bufferSize, LARGE_READ_PIECE);
});

test('a read that four small pieces hold takes small pieces whatever the budget', () => {
  const budget = new ReadPieceBudget();
  const read = budget.take(4 * SMALL_READ_PIECE);
  assert.equal(read.pool.bufferSize, SMALL_READ_PIECE);
  assert.equal(budget.largeReadsRunning, 0);
  assert.equal(budget.take(4 * SMALL_READ_PIECE + 1).pool.bufferSize, LARGE_READ_PIECE);
});
