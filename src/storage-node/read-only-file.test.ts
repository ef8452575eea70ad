import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadOnlyFile } from './read-only-file.js';

function withFile(contents: string, run: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-rofile-'));
  const path = join(dir, 'shard');
  writeFileSync(path, contents);
  return run(path).finally(() => rmSync(dir, { recursive: true }));
}

test('read-only file: its size, reads at positions, a short read at the end and none past it', () =>
  withFile('0123456789', async (path) => {
    const file = await ReadOnlyFile.open(path);
    try {
      assert.equal(file.size, 10);
      const buffer = Buffer.alloc(8, 0x2e);
      assert.equal(await file.read(buffer, 2, 4, 3), 4);
      assert.equal(buffer.toString(), '..3456..');
      assert.equal(await file.read(buffer, 0, 8, 6), 4, 'only what is left');
      assert.equal(buffer.subarray(0, 4).toString(), '6789');
      assert.equal(await file.read(buffer, 0, 8, 10), 0);
    } finally {
      file.close();
    }
  }));

test('read-only file: a deleted file stays readable until closed; a closed one refuses reads; closing twice is once', () =>
  withFile('kept', async (path) => {
    const file = await ReadOnlyFile.open(path);
    unlinkSync(path);
    const buffer = Buffer.alloc(4);
    assert.equal(await file.read(buffer, 0, 4, 0), 4);
    assert.equal(buffer.toString(), 'kept');
    assert.equal(file.closed, false);
    file.close();
    assert.equal(file.closed, true);
    file.close();
    await assert.rejects(file.read(buffer, 0, 4, 0), /closed/);
  }));

test('read-only file: a missing file fails to open with ENOENT', () =>
  withFile('', async (path) => {
    await assert.rejects(ReadOnlyFile.open(`${path}.missing`), { code: 'ENOENT' });
    const empty = await ReadOnlyFile.open(path);
    assert.equal(empty.size, 0);
    empty.close();
  }));
