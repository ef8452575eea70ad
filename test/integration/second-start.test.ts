import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { freePort } from '../../src/processes/ports.js';
import { GATEWAY_RUNTIME_FLAGS, RUNTIME_ENV, RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

/** Runs `shardstore ARGS` to its end: exit code, what it printed, how long it took. */
async function run(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...RUNTIME_ENV } });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output, ms: Date.now() - started };
}

/** Pids of the processes whose command line names `dir` (a process that outlived a failed start would). */
function processesOn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function spawnLong(args: string[], flags = RUNTIME_FLAGS): ChildProcess {
  return spawn(process.execPath, [...flags, CLI, ...args], { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } });
}

test('a second start on a running cluster\'s directory or port fails at once, leaves nothing running, and the first cluster is untouched', async () => {
  const first = await LocalCluster.start(8);
  const others: string[] = [];
  const strays: ChildProcess[] = [];
  try {
    const data = randomBytes(1_500_000);
    assert.equal((await fetch(`${first.url}/first/a.bin`, { method: 'POST', body: data })).status, 201);
    const before = (await first.nodes()).map((n) => `${n.id} ${n.url} ${n.state}`).sort();
    const stateBefore = readFileSync(join(first.dir, 'cluster.json'), 'utf8');
    const mine = new Set(processesOn(first.dir));

    // The same directory, another port.
    const sameDir = await run(['cluster', '--dir', first.dir, '--port', String(await freePort('127.0.0.1')), '--nodes', '8']);
    assert.equal(sameDir.code, 3, sameDir.output);
    assert.match(sameDir.output, new RegExp(`${first.dir} is in use by pid \\d+`));
    assert.ok(sameDir.ms < 5000, `refused in ${sameDir.ms} ms`);

    // Another directory, the running gateway's port: refused before anything is spawned.
    const other = mkdtempSync(join(tmpdir(), 'shardstore-second-'));
    others.push(other);
    const samePort = await run(['cluster', '--dir', other, '--port', new URL(first.url).port, '--nodes', '8']);
    assert.equal(samePort.code, 1, samePort.output);
    assert.match(samePort.output, new RegExp(`port ${new URL(first.url).port} on 127.0.0.1 is in use`));
    assert.ok(samePort.ms < 5000, `refused in ${samePort.ms} ms`);
    assert.equal(existsSync(join(other, 'nodes')), false, 'no node was started');
    assert.deepEqual(processesOn(other), []);

    // A node directory held by a stray node: the start fails with that node's own words and stops the rest.
    const third = mkdtempSync(join(tmpdir(), 'shardstore-second-'));
    others.push(third);
    const stray = spawnLong(['node', '--dir', join(third, 'nodes', 'node-3'), '--gateway', 'http://127.0.0.1:9', '--secret', 'stray-secret']);
    strays.push(stray);
    await waitUntil(async () => existsSync(join(third, 'nodes', 'node-3', 'node.json')), 20_000, 'the stray node');
    const heldNode = await run(['cluster', '--dir', third, '--port', String(await freePort('127.0.0.1')), '--nodes', '8']);
    assert.equal(heldNode.code, 1, heldNode.output);
    assert.match(heldNode.output, /node-3: shardstore node: .*node-3 is in use by pid \d+/);
    assert.ok(heldNode.ms < 15_000, `failed in ${heldNode.ms} ms`);
    assert.deepEqual(processesOn(third), [stray.pid], 'only the stray node is left');

    // A metadata file held by a stray gateway: the cluster's gateway says so.
    const fourth = mkdtempSync(join(tmpdir(), 'shardstore-second-'));
    others.push(fourth);
    const migrate = await run(['migrate', '--db', `sqlite:${join(fourth, 'meta.db')}`]);
    assert.equal(migrate.code, 0, migrate.output);
    const strayGateway = spawnLong(
      ['gateway', '--port', '0', '--s3-port', '0', '--db', `sqlite:${join(fourth, 'meta.db')}`, '--node-secret', 'stray-secret', '--admin-token', 'stray-token'],
      GATEWAY_RUNTIME_FLAGS,
    );
    strays.push(strayGateway);
    await waitUntil(async () => existsSync(join(fourth, 'meta.db.lock')), 20_000, 'the stray gateway');
    const heldDb = await run(['cluster', '--dir', fourth, '--port', String(await freePort('127.0.0.1')), '--nodes', '8']);
    assert.equal(heldDb.code, 1, heldDb.output);
    assert.match(heldDb.output, /gateway: shardstore gateway: .* is in use by pid \d+/);
    assert.deepEqual(processesOn(fourth), [strayGateway.pid], 'only the stray gateway is left');

    // The first cluster: the same processes, nodes, state file and data.
    assert.deepEqual(new Set(processesOn(first.dir)), mine);
    assert.deepEqual((await first.nodes()).map((n) => `${n.id} ${n.url} ${n.state}`).sort(), before);
    assert.equal(readFileSync(join(first.dir, 'cluster.json'), 'utf8'), stateBefore);
    assert.ok(Buffer.from(await (await fetch(`${first.url}/first/a.bin`)).arrayBuffer()).equals(data));
  } finally {
    for (const s of strays) s.kill('SIGKILL');
    await first.stop();
    for (const dir of others) rmSync(dir, { recursive: true, force: true });
  }
});

test('a node on a directory another live process holds refuses to start (exit code 3); a killed holder\'s lock is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-held-'));
  const holder = spawnLong(['node', '--dir', dir, '--gateway', 'http://127.0.0.1:9', '--secret', 'held-secret']);
  try {
    await waitUntil(async () => existsSync(join(dir, 'node.json')), 20_000, 'the first node');
    const second = await run(['node', '--dir', dir, '--gateway', 'http://127.0.0.1:9', '--secret', 'held-secret']);
    assert.equal(second.code, 3, second.output);
    assert.match(second.output, new RegExp(`${dir} is in use by pid ${holder.pid}`));
    // A holder killed outright leaves its lock file behind; the next start takes it over.
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    const after = spawnLong(['node', '--dir', dir, '--gateway', 'http://127.0.0.1:9', '--secret', 'held-secret']);
    try {
      await waitUntil(async () => readFileSync(join(dir, 'node.lock'), 'utf8').trim() === String(after.pid), 20_000, 'the stale lock taken over');
    } finally {
      after.kill('SIGKILL');
    }
  } finally {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
