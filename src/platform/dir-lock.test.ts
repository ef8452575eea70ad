import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { DirectoryInUseError, lockDirectory } from './dir-lock.js';

/** A second process that takes the lock and holds it until killed (fcntl locks never conflict within one process). */
async function holder(dir: string) {
  const url = new URL('./dir-lock.js', import.meta.url).href;
  const script = `const { lockDirectory } = await import(${JSON.stringify(url)}); try { await lockDirectory(${JSON.stringify(dir)}, 'test.lock'); console.log('locked'); setInterval(() => {}, 1000); } catch { console.log('busy'); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'locked');
  return child;
}

test('a directory locked by a live process is refused with its pid; the lock of a killed process is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dir-lock-'));
  const child = await holder(dir);
  try {
    await assert.rejects(lockDirectory(dir, 'test.lock'), (error: unknown) => {
      assert.ok(error instanceof DirectoryInUseError);
      assert.equal(error.pid, child.pid);
      assert.match(error.message, new RegExp(`is in use by pid ${child.pid}`));
      return true;
    });
    // SIGKILL: no chance to clean up; the file stays, with the dead pid in it.
    child.kill('SIGKILL');
    await once(child, 'exit');
    const taken = await lockDirectory(dir, 'test.lock');
    taken.release();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a released lock can be taken by another process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dir-lock-'));
  try {
    const mine = await lockDirectory(dir, 'test.lock');
    mine.release();
    const child = await holder(dir);
    child.kill('SIGKILL');
    await once(child, 'exit');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
