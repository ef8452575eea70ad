import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ShardFiles } from './shard-files.js';
import { FanOutDirs, listShardFiles, migrateSplitLayout, shardFilePath } from './shard-layout.js';
import { newShardId } from '../core/ids.js';

const LARGE = 100_000;

/** Runs `body` with a fresh directory, removed afterwards whatever happens. */
async function inTempRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-layout-'));
  try {
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function splitPath(root: string, id: string): string {
  return join(root, 'shards', ...id.split('-'));
}

function writeAt(path: string, data: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

test('a node of the earlier split layout: start-up moves its shard files, which read back whole, and leaves strays alone', () =>
  inTempRoot(async (root) => {
    const legacy = Array.from({ length: 5 }, () => ({ id: newShardId(), data: randomBytes(LARGE + Math.floor(Math.random() * 1000)) }));
    for (const s of legacy) writeAt(splitPath(root, s.id), s.data);
    // One already moved by a start that crashed midway, a file that is no shard, an empty directory.
    const moved = { id: newShardId(), data: randomBytes(LARGE) };
    writeAt(shardFilePath(join(root, 'shards'), moved.id), moved.data);
    const strayDir = join(root, 'shards', legacy[0]!.id.slice(0, 8), 'notes');
    writeAt(join(strayDir, 'README'), Buffer.from('kept'));
    mkdirSync(join(root, 'shards', 'abcdef01', '2222'), { recursive: true });

    const files = new ShardFiles(root);
    assert.equal(await files.init(), legacy.length);
    assert.equal(files.count, legacy.length + 1);
    assert.equal(files.used, [...legacy, moved].reduce((n, s) => n + s.data.length, 0));
    for (const s of [...legacy, moved]) {
      assert.equal(existsSync(splitPath(root, s.id)), false);
      const reader = await files.openForRead(s.id);
      assert.ok((await reader.read(0, reader.size)).equals(s.data), `shard ${s.id} reads back whole`);
      await reader.close();
    }
    const listed: string[] = [];
    for await (const s of files.list()) listed.push(s.id);
    assert.deepEqual(listed.sort(), [...legacy, moved].map((s) => s.id).sort());
    assert.equal(existsSync(join(strayDir, 'README')), true, 'a file that is no shard stays where it was');
    assert.equal(existsSync(join(root, 'shards', 'abcdef01')), false, 'emptied directories are removed');
    await files.close();

    // The next start finds nothing left to move and counts the same.
    const again = new ShardFiles(root);
    assert.equal(await again.init(), 0);
    assert.equal(again.count, legacy.length + 1);
    await again.close();
  }));

test('shards committed at once into a new fan-out directory all land; one creation is shared', () =>
  inTempRoot(async (root) => {
    const files = new ShardFiles(root);
    await files.init();
    // Twelve ids that share their last two hex digits, so every commit needs the same new directory.
    const ids = Array.from({ length: 12 }, () => `${newShardId().slice(0, -2)}7e`);
    const data = randomBytes(LARGE);
    await Promise.all(ids.map((id) => files.write(id, Readable.from([data]))));
    assert.deepEqual(readdirSync(join(root, 'shards')), ['7e']);
    assert.deepEqual(readdirSync(join(root, 'shards', '7e')).sort(), [...ids].sort());
    await files.close();

    const fanOut = new FanOutDirs(join(root, 'shards'));
    const dir = join(root, 'shards', '3c');
    assert.equal(fanOut.ensure(dir), fanOut.ensure(dir), 'concurrent callers wait for one creation');
    await fanOut.ensure(dir);
    assert.equal(existsSync(dir), true);
  }));

test('a fan-out directory that could not be created is tried again by the next commit', () =>
  inTempRoot(async (root) => {
    const shards = join(root, 'shards');
    mkdirSync(shards);
    // A file where the directory should be: mkdir fails, as on a full or broken disk.
    writeFileSync(join(shards, '5a'), 'in the way');
    const fanOut = new FanOutDirs(shards);
    await assert.rejects(fanOut.ensure(join(shards, '5a')), /EEXIST|ENOTDIR/);
    rmSync(join(shards, '5a'));
    await fanOut.ensure(join(shards, '5a'));
    assert.equal(existsSync(join(shards, '5a')), true);
  }));

test('listing names shard files by their ids and skips what is no shard', () =>
  inTempRoot(async (root) => {
    const shards = join(root, 'shards');
    const id = newShardId();
    writeAt(shardFilePath(shards, id), Buffer.from('x'));
    writeAt(join(shards, id.slice(-2), 'not-a-shard'), Buffer.from('x'));
    writeAt(join(shards, 'zz', newShardId()), Buffer.from('x'));
    const listed = [];
    for await (const s of listShardFiles(shards)) listed.push(s);
    assert.deepEqual(listed, [{ id, path: shardFilePath(shards, id) }]);
    assert.equal(await migrateSplitLayout(join(root, 'absent'), new FanOutDirs(join(root, 'absent'))), 0);
  }));
