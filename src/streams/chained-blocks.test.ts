import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockSource } from '../core/block-frame.js';
import { ChainedBlocks } from './chained-blocks.js';

/** A source of the given blocks that records its closing. */
function blocks(names: string[], log: string[], label: string): BlockSource {
  const left = [...names];
  return {
    next: async () => {
      const name = left.shift();
      return name === undefined ? undefined : Buffer.from(name);
    },
    close: async () => void log.push(`${label} closed`),
  };
}

test('the head’s blocks, then the rest’s, with the rest opened only once the head is used up (and closed)', async () => {
  const log: string[] = [];
  const chained = new ChainedBlocks(blocks(['a', 'b'], log, 'head'), async () => {
    log.push('rest opened');
    return blocks(['c', 'd'], log, 'rest');
  });
  assert.equal((await chained.next())?.toString(), 'a');
  assert.equal((await chained.next())?.toString(), 'b');
  assert.deepEqual(log, [], 'not opened while the head is being read');
  assert.equal((await chained.next())?.toString(), 'c');
  assert.deepEqual(log, ['head closed', 'rest opened']);
  assert.equal((await chained.next())?.toString(), 'd');
  assert.equal(await chained.next(), undefined);
  await chained.close();
  assert.deepEqual(log, ['head closed', 'rest opened', 'rest closed']);
});

test('a rest that fails to open surfaces where its blocks would be, after the head’s', async () => {
  const chained = new ChainedBlocks(blocks(['a'], [], 'head'), () => Promise.reject(new Error('node went away')));
  assert.equal((await chained.next())?.toString(), 'a');
  await assert.rejects(chained.next(), /node went away/);
});

test('closed while the rest opens: the rest is closed as soon as it is open, and nothing more is read', async () => {
  const log: string[] = [];
  let answer!: (source: BlockSource) => void;
  const chained = new ChainedBlocks(blocks([], log, 'head'), () => new Promise((resolve) => (answer = resolve)));
  const reading = chained.next();
  await new Promise((r) => setImmediate(r));
  await chained.close();
  answer(blocks(['x'], log, 'rest'));
  await assert.rejects(reading, /closed while their next source opened/);
  assert.deepEqual(log, ['head closed', 'head closed', 'rest closed']);
});
