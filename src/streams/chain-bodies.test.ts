import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainBodies } from './chain-bodies.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

const collect = async (body: AsyncIterable<Uint8Array>) => {
  let text = '';
  for await (const c of body) text += Buffer.from(c).toString();
  return text;
};

test('the head’s bytes, then the rest’s, with the rest asked for only once the head has been read', async () => {
  const order: string[] = [];
  let answerHead!: (body: AsyncIterable<Uint8Array>) => void;
  const head = new Promise<AsyncIterable<Uint8Array>>((resolve) => (answerHead = resolve));
  const chained = chainBodies(head, async () => {
    order.push('rest asked');
    return chunks('c', 'd');
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'nothing asked before the head answered');
  answerHead(chunks('a', 'b'));
  const body = await chained;
  const reading = body[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await reading.next()).value as Uint8Array).toString(), 'a');
  assert.equal(Buffer.from((await reading.next()).value as Uint8Array).toString(), 'b');
  assert.deepEqual(order, [], 'not asked while the head is being read');
  const rest: string[] = [];
  for (let r = await reading.next(); !r.done; r = await reading.next()) rest.push(Buffer.from(r.value).toString());
  assert.deepEqual(order, ['rest asked']);
  assert.deepEqual(rest, ['c', 'd']);
});

test('a head that fails fails the chain, and the rest is never asked for', async () => {
  let asked = false;
  await assert.rejects(
    chainBodies(Promise.reject(new Error('no such shard')), async () => {
      asked = true;
      return chunks('x');
    }),
    /no such shard/,
  );
  assert.equal(asked, false);
});

test('a rest that fails surfaces where its bytes would be, after the head’s', async () => {
  const body = await chainBodies(Promise.resolve(chunks('a')), () => Promise.reject(new Error('node went away')));
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of body) seen.push(Buffer.from(c).toString());
    })(),
    /node went away/,
  );
  assert.deepEqual(seen, ['a']);
});
