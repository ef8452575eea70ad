import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { RUNTIME_ENV, RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

/** A small tmpfs of the test's own (as root; CI is), or why there is none. */
function mountTmpfs(megabytes: number): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-fulldisk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mounting a tmpfs was refused: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a node whose disk fills: uploads stay fast and succeed, nothing acknowledged is lost, scrub is clean', async (t) => {
  const disk = mountTmpfs(48);
  if (typeof disk === 'string') return t.skip(disk);
  const cluster = await LocalCluster.start(7, ['--gc-interval', '0']);
  let node: ChildProcess | undefined;
  try {
    // The eighth node lives on the small disk and declares far more than it has, as a misconfigured node would.
    const dir = join(disk.dir, 'node');
    node = spawn(process.execPath, [...RUNTIME_FLAGS, CLI, 'node', '--dir', dir, '--port', '0', '--gateway', cluster.url, '--capacity', '10GiB', '--reserve', '1MiB'], {
      stdio: 'ignore',
      env: { ...process.env, ...RUNTIME_ENV, SHARDSTORE_NODE_SECRET: cluster.state.nodeSecret },
    });
    await waitUntil(async () => existsSync(join(dir, 'node.json')), 20_000, 'the small node');
    const smallId = (JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { id: string }).id;
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 8, 20_000, 'eight nodes');

    // Something else fills the disk behind the node's back.
    writeFileSync(join(disk.dir, 'junk'), Buffer.alloc(46 * 1024 * 1024));

    const acked = new Map<string, Buffer>();
    const slowest: number[] = [];
    let failed = 0;
    for (let i = 0; i < 30; i++) {
      const data = randomBytes(1_500_000 + i * 50_000);
      const started = Date.now();
      const res = await fetch(`${cluster.url}/full/${i}`, { method: 'POST', body: data });
      slowest.push(Date.now() - started);
      if (res.status === 201) acked.set(`full/${i}`, data);
      else failed++;
    }
    assert.ok(Math.max(...slowest) < 5000, `slowest upload ${Math.max(...slowest)} ms`);
    assert.ok(acked.size >= 24, `${acked.size} of 30 stored, ${failed} failed`);
    const onSmall = (await cluster.nodes()).find((n) => n.id === smallId)!;
    assert.ok(onSmall.capacity - onSmall.used < 2 * 1024 * 1024, `the full node shows no room (${onSmall.capacity - onSmall.used} bytes)`);
    for (const [key, data] of acked) assert.ok(Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer()).equals(data), key);
    const scrub = (await (await cluster.admin('/_scrub', { method: 'POST' })).json()) as { damaged: number };
    assert.equal(scrub.damaged, 0, 'scrub clean');
  } finally {
    node?.kill('SIGKILL');
    await cluster.stop();
    disk.unmount();
  }
});
