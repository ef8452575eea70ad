import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ShardMissingError } from '../core/errors.js';
import { newShardId } from '../core/ids.js';
import type { ShardStore } from '../domain/shard-store.js';

export interface OpenedShardStore {
  readonly store: ShardStore;
  close(): Promise<void>;
}

async function write(store: ShardStore, id: string, bytes: Buffer, announce: boolean): Promise<number> {
  const sink = store.create(id, announce ? bytes.length : undefined);
  for (let at = 0; at < bytes.length; at += 10_000) await sink.write(bytes.subarray(at, at + 10_000));
  return sink.end();
}

async function readAll(store: ShardStore, id: string, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(id, range, new AbortController().signal)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * What every `ShardStore` does, whatever carries it: the in-memory store the unit tests use and the HTTP
 * store against a real storage node both pass these, so a use case tested on one behaves the same on the other.
 */
export function shardStoreContract(name: string, open: () => Promise<OpenedShardStore>): void {
  test(`${name}: shards written small (announced) and large (streamed) read back whole and by range`, async () => {
    const { store, close } = await open();
    try {
      // 2.5 MB: a range longer than one framed read (1 MiB + 4 KiB), which travels over HTTP.
      for (const [size, announce] of [[0, true], [1, true], [3000, true], [300_000, false], [2_500_000, false]] as const) {
        const id = newShardId();
        const bytes = randomBytes(size);
        assert.equal(await write(store, id, bytes, announce), size);
        assert.deepEqual(await readAll(store, id), bytes, `${size} bytes whole`);
        if (size > 10) assert.deepEqual(await readAll(store, id, { start: 5, end: size - 2 }), bytes.subarray(5, size - 1), `${size} bytes ranged`);
      }
    } finally {
      await close();
    }
  });

  test(`${name}: readBytes gives a range in pieces, short or long; a missing shard is ShardMissingError`, async () => {
    const { store, close } = await open();
    try {
      const id = newShardId();
      const bytes = randomBytes(300_000);
      await write(store, id, bytes, false);
      assert.deepEqual(Buffer.concat(await store.readBytes(id, { start: 0, end: 4099 })), bytes.subarray(0, 4100));
      assert.deepEqual(Buffer.concat(await store.readBytes(id, { start: 7, end: 7 })), bytes.subarray(7, 8));
      assert.deepEqual(Buffer.concat(await store.readBytes(id, { start: 1000, end: 299_999 })), bytes.subarray(1000), 'longer than one framed message');
      await assert.rejects(store.readBytes(newShardId(), { start: 0, end: 99 }), ShardMissingError);
    } finally {
      await close();
    }
  });

  test(`${name}: a shard id is written once; a missing shard is ShardMissingError; delete says whether it was there`, async () => {
    const { store, close } = await open();
    try {
      const id = newShardId();
      await write(store, id, randomBytes(2000), true);
      await assert.rejects(write(store, id, randomBytes(2000), true), 'a second write of one id is refused');
      await assert.rejects(readAll(store, newShardId()), ShardMissingError);
      await assert.rejects(readAll(store, newShardId(), { start: 0, end: 3_000_000 }), ShardMissingError, 'a long range of a missing shard');
      assert.equal(await store.delete(id), true);
      assert.equal(await store.delete(id), false);
      await assert.rejects(readAll(store, id), ShardMissingError);
    } finally {
      await close();
    }
  });

  test(`${name}: an aborted upload stores nothing; the listing and the status count what is stored`, async () => {
    const { store, close } = await open();
    try {
      const aborted = newShardId();
      const sink = store.create(aborted);
      await sink.write(randomBytes(50_000));
      sink.abort(new Error('client went away'));
      const kept = [newShardId(), newShardId()];
      for (const id of kept) await write(store, id, randomBytes(1234), true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assert.rejects(readAll(store, aborted), ShardMissingError);
      const listed = [];
      for await (const shard of store.list()) listed.push(shard);
      assert.deepEqual(listed.map((s) => s.id).sort(), [...kept].sort());
      assert.ok(listed.every((s) => s.size >= 1234 && s.age >= 0));
      const status = await store.status(2000);
      assert.equal(status.shards, 2);
      assert.ok(status.used >= 2 * 1234 && status.capacity > status.used);
      const purged = await store.purgeTemp(0);
      assert.ok(purged.files >= 0 && purged.bytes >= 0);
    } finally {
      await close();
    }
  });
}
