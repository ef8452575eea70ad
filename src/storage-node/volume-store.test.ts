import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { VolumeStore, type VolumeStoreOptions } from './volume-store.js';
import { RECORD_HEADER } from './volume-format.js';
import { newShardId } from '../core/ids.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'shardstore-volumes-'));
const opened = async (dir: string, options: VolumeStoreOptions = {}) => {
  const store = new VolumeStore(dir, options);
  await store.open();
  return store;
};
const volumeFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.vol')).sort();

test('appended shards read back whole and in ranges, survive a restart, and deletes stay deleted', async () => {
  const dir = freshDir();
  const store = await opened(dir);
  const a = newShardId();
  const b = newShardId();
  const dataA = randomBytes(700);
  const dataB = randomBytes(3000);
  await store.append(a, [dataA.subarray(0, 100), dataA.subarray(100)]);
  await store.append(b, [dataB]);
  assert.equal(store.count, 2);
  assert.equal(store.used, 3700);
  assert.ok((await store.read(a, 0, 700))!.equals(dataA));
  assert.ok((await store.read(b, 1000, 10))!.equals(dataB.subarray(1000, 1010)));
  await assert.rejects(store.read(a, 600, 101), RangeError);
  assert.equal(await store.read(newShardId(), 0, 1), undefined);

  assert.equal(await store.remove(a), true);
  assert.equal(await store.remove(a), false);
  assert.equal(await store.read(a, 0, 1), undefined);
  await store.close();

  const again = await opened(dir);
  assert.equal(again.has(a), false, 'the tombstone outlives the restart');
  assert.ok((await again.read(b, 0, 3000))!.equals(dataB));
  assert.equal(again.count, 1);
  assert.equal(again.used, 3000);
  assert.ok((again.get(b)!.createdMs) <= Date.now());
  await again.close();
  rmSync(dir, { recursive: true });
});

test('appends that arrive together share one write and one fdatasync', async () => {
  const dir = freshDir();
  const store = await opened(dir);
  const ids = Array.from({ length: 50 }, () => newShardId());
  await Promise.all(ids.map((id) => store.append(id, [randomBytes(700)])));
  assert.equal(store.count, 50);
  // The first append starts a batch on its own; the 49 queued behind it go out together.
  assert.ok(store.syncCount <= 2, `${store.syncCount} syncs for 50 appends`);
  await store.close();
  rmSync(dir, { recursive: true });
});

test('an append is acknowledged only after the fdatasync that covers it', async () => {
  const dir = freshDir();
  const store = await opened(dir);
  await store.append(newShardId(), [Buffer.from('opens the volume')]);
  const probe = await open(join(dir, volumeFiles(dir)[0]!), 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const realDatasync = proto.datasync;
  let release: () => void = () => undefined;
  let syncStarted = false;
  proto.datasync = function (this: unknown) {
    syncStarted = true;
    return new Promise<void>((resolve) => (release = resolve)).then(() => realDatasync.call(this));
  };
  try {
    let acknowledged = false;
    const id = newShardId();
    const append = store.append(id, [randomBytes(700)]).then(() => (acknowledged = true));
    while (!syncStarted) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(acknowledged, false, 'acknowledged before its sync finished');
    assert.equal(store.has(id), false, 'readable before it is durable');
    release();
    await append;
    assert.equal(store.has(id), true);
  } finally {
    proto.datasync = realDatasync;
  }
  await store.close();
  rmSync(dir, { recursive: true });
});

test('a torn tail is skipped at start and the next appends go to a new volume', async () => {
  const dir = freshDir();
  const store = await opened(dir);
  const ids = [newShardId(), newShardId(), newShardId()];
  const data = ids.map(() => randomBytes(500));
  for (const [i, id] of ids.entries()) await store.append(id, [data[i]!]);
  await store.close();
  // A crash in the middle of a write: half a header and some data.
  const [file] = volumeFiles(dir);
  const firstRecord = readFileSync(join(dir, file!)).subarray(0, RECORD_HEADER + 500);
  appendFileSync(join(dir, file!), firstRecord.subarray(0, 30));

  const errors: string[] = [];
  const again = await opened(dir, { onError: (e) => errors.push(e.message) });
  assert.equal(again.count, 3);
  assert.match(errors.join(), /30 bytes are not whole records/);
  const d = newShardId();
  await again.append(d, [Buffer.from('after the crash')]);
  assert.equal(volumeFiles(dir).length, 2, 'no append lands on the torn volume');
  await again.close();

  const third = await opened(dir);
  assert.equal(third.count, 4);
  for (const [i, id] of ids.entries()) assert.ok((await third.read(id, 0, 500))!.equals(data[i]!));
  assert.equal((await third.read(d, 0, 15))!.toString(), 'after the crash');
  await third.close();
  rmSync(dir, { recursive: true });
});

test('a corrupt record costs only itself: the records after it are found again', async () => {
  const dir = freshDir();
  const store = await opened(dir);
  const ids = [newShardId(), newShardId(), newShardId()];
  for (const id of ids) await store.append(id, [randomBytes(500)]);
  const second = store.get(ids[1]!)!;
  await store.close();
  const [file] = volumeFiles(dir);
  const bytes = readFileSync(join(dir, file!));
  const at = second.offset + RECORD_HEADER + 10;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
  writeFileSync(join(dir, file!), bytes);

  const again = await opened(dir, { onError: () => undefined });
  assert.deepEqual([ids[0], ids[1], ids[2]].map((id) => again.has(id!)), [true, false, true]);
  await again.close();
  rmSync(dir, { recursive: true });
});

test('mostly dead volumes are compacted: space comes back, live shards stay readable, deleted ones stay gone', async () => {
  const dir = freshDir();
  const options = { maxVolumeBytes: 8 * 1024 };
  const store = await opened(dir, options);
  const shards = new Map<string, Buffer>();
  for (let i = 0; i < 60; i++) {
    const id = newShardId();
    const data = randomBytes(400);
    shards.set(id, data);
    await store.append(id, [data]);
  }
  const before = store.fileBytes;
  const filesBefore = volumeFiles(dir).length;
  assert.ok(filesBefore >= 3);
  const deleted = [...shards.keys()].filter((_, i) => i % 4 !== 0);
  for (const id of deleted) {
    await store.remove(id);
    shards.delete(id);
  }
  await store.settle();
  assert.ok(store.fileBytes < before / 2, `${store.fileBytes} bytes of volumes left of ${before}`);
  for (const [id, data] of shards) assert.ok((await store.read(id, 0, 400))!.equals(data));
  await store.close();

  const again = await opened(dir, options);
  assert.equal(again.count, shards.size);
  for (const id of deleted) assert.equal(again.has(id), false, 'a deleted shard came back after compaction');
  for (const [id, data] of shards) assert.ok((await again.read(id, 0, 400))!.equals(data));
  await again.close();
  rmSync(dir, { recursive: true });
});

test('compaction keeps a tombstone while the volume of the record it deletes still exists', async () => {
  const dir = freshDir();
  const options = { maxVolumeBytes: 2000 };
  const store = await opened(dir, options);
  const fill = async (n: number) => {
    const ids = Array.from({ length: n }, () => newShardId());
    for (const id of ids) await store.append(id, [randomBytes(400)]);
    return ids;
  };
  const [a] = await fill(5); // volume 1, sealed when full
  await fill(5); // volume 2
  await store.remove(a!); // its tombstone opens volume 3; volume 1 is still mostly live and stays
  const third = await fill(5); // volume 3, sealed
  await fill(1); // volume 4
  for (const id of third) await store.remove(id); // volume 3 is now mostly dead: compacted away
  await store.settle();
  assert.ok(!volumeFiles(dir).includes('00000003.vol'), `volumes: ${volumeFiles(dir).join(' ')}`);
  assert.ok(volumeFiles(dir).includes('00000001.vol'));
  await store.close();
  const again = await opened(dir, options);
  assert.equal(again.has(a!), false, 'the deleted shard came back when its tombstone was compacted away');
  await again.close();
  rmSync(dir, { recursive: true });
});

test('any sequence of appends, deletes and restarts matches a plain map (property)', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), size: fc.integer({ min: 0, max: 900 }) }),
    fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('restart' as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
      const dir = freshDir();
      const options = { maxVolumeBytes: 4 * 1024, onError: () => undefined };
      let store = await opened(dir, options);
      const model = new Map<string, Buffer>();
      try {
        for (const o of ops) {
          if (o.kind === 'append') {
            const id = newShardId();
            const data = randomBytes(o.size);
            await store.append(id, [data]);
            model.set(id, data);
          } else if (o.kind === 'remove') {
            const ids = [...model.keys()];
            if (ids.length === 0) continue;
            const id = ids[o.pick % ids.length]!;
            assert.equal(await store.remove(id), true);
            model.delete(id);
          } else {
            await store.close();
            store = await opened(dir, options);
          }
        }
        const matches = async (check: VolumeStore) => {
          assert.equal(check.count, model.size);
          assert.equal(check.used, [...model.values()].reduce((n, b) => n + b.length, 0));
          for (const [id, data] of model) assert.ok((await check.read(id, 0, data.length))!.equals(data));
        };
        await store.settle();
        await matches(store);
        await store.close();
        store = await opened(dir, options);
        await matches(store);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true });
      }
    }),
    { numRuns: 60 },
  );
});
