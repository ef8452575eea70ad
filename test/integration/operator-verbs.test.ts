import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CLI, LocalCluster } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

describe('operator verbs and deduplication', () => {
  let cluster: LocalCluster;
  const work = mkdtempSync(join(tmpdir(), 'shardstore-verbs-'));
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], {
      env: { ...process.env, SHARDSTORE_GATEWAY: cluster.url, SHARDSTORE_TOKEN: cluster.state.adminToken, ...env },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  const used = async () => (await cluster.nodes()).reduce((sum, n) => sum + n.used, 0);
  const gc = async () => (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { purged: number; freedShards: number; sharedShardsKept: number };
  const dedupe = async () => (await (await cluster.admin('/_dedupe', { method: 'POST' })).json()) as { groups: number; objectsShared: number; bytesFreed: number };
  const upload = async (key: string, data: Buffer) => (await fetch(`${cluster.url}/${key}`, { method: 'POST', body: data })).status;
  const read = async (key: string) => {
    const res = await fetch(`${cluster.url}/${key}`);
    return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : res.status;
  };

  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(async () => {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('import, exists, export, delete: exit 0 yes, 1 no, 2 error', async () => {
    const file = join(work, 'in.bin');
    const data = randomBytes(1_500_000);
    writeFileSync(file, data);
    const imported = cli(['import', 'ops/one.bin', file]);
    assert.equal(imported.status, 0, imported.stderr.toString());
    assert.equal(JSON.parse(imported.stdout.toString()).size, data.length);
    assert.equal(cli(['import', 'ops/one.bin', file]).status, 1, 'write-once: the key exists');
    assert.equal(cli(['exists', 'ops/one.bin']).status, 0);
    assert.equal(cli(['exists', 'ops/none.bin']).status, 1);
    assert.equal(cli(['exists', 'ops/one.bin', '--token', 'wrong-token']).status, 2, 'a wrong token is an error, not a no');
    assert.equal(cli(['exists', 'ops/one.bin'], { SHARDSTORE_GATEWAY: 'http://127.0.0.1:1' }).status, 2, 'no gateway');

    const out = join(work, 'out.bin');
    assert.equal(cli(['export', 'ops/one.bin', out]).status, 0);
    assert.ok(readFileSync(out).equals(data));
    const piped = cli(['export', 'ops/one.bin', '-']);
    assert.equal(piped.status, 0);
    assert.ok(piped.stdout.equals(data), 'export to stdout');
    assert.equal(cli(['export', 'ops/none.bin', join(work, 'none')]).status, 1);
    assert.equal(existsSync(join(work, 'none')), false, 'nothing written for a missing key');

    assert.equal(cli(['delete', 'ops/one.bin', '--token', 'wrong-token']).status, 2);
    assert.equal(cli(['delete', 'ops/one.bin']).status, 0);
    assert.equal(cli(['exists', 'ops/one.bin']).status, 1);
    assert.equal(await read('ops/one.bin'), 404);
    assert.equal(cli(['delete', 'ops/one.bin']).status, 1, 'already deleted');
    assert.equal((await gc()).purged, 1, 'the cleaner purges what delete marked');
    assert.equal(await upload('ops/one.bin', data), 201, 'a deleted path can be written again');
    const info = (await (await cluster.admin('/_objects/ops/one.bin')).json()) as { sharedBy: number; parts: { shards: { kind: string }[] }[] };
    assert.deepEqual(info.parts[0]!.shards.map((s) => s.kind), ['data', 'data', 'data', 'data', 'data', 'data', 'parity', 'parity']);
    assert.equal(info.sharedBy, 1);
    assert.equal((await cluster.admin('/_objects/ops/none')).status, 404);
    assert.equal((await fetch(`${cluster.url}/_objects/ops/one.bin`, { method: 'DELETE' })).status, 401, 'admin only');
  });

  test('put and get round trip, with a progress bar only on a terminal; nodes prints a table', async () => {
    const file = join(work, 'photo.jpg');
    const data = randomBytes(5_000_000);
    writeFileSync(file, data);
    const put = cli(['put', file]);
    assert.equal(put.status, 0, put.stderr.toString());
    assert.match(put.stdout.toString(), /^stored photo\.jpg \(5000000 bytes, etag [0-9a-f]{32}\)/);
    assert.equal(put.stderr.toString(), '', 'no progress bar when stderr is not a terminal');
    assert.equal(cli(['put', file]).status, 1, 'the key exists');
    const out = join(work, 'back.jpg');
    assert.equal(cli(['get', 'photo.jpg', out]).status, 0);
    assert.ok(readFileSync(out).equals(data));
    assert.equal(cli(['delete', 'photo.jpg']).status, 0);

    // A terminal (script(1) gives the command a pty): the bar shows percent, throughput and ETA.
    const other = join(work, 'other.jpg');
    writeFileSync(other, randomBytes(5_000_000)); // not a duplicate: the dedupe test counts those
    const cmd = [process.execPath, ...RUNTIME_FLAGS, CLI, 'put', other, 'tty/photo.jpg'].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, SHARDSTORE_GATEWAY: cluster.url }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /100% \| 4\.8 MiB\/4\.8 MiB \| [\d.]+ MiB\/s \| ETA/);

    const info = cli(['info', 'tty/photo.jpg']);
    assert.equal(info.status, 0, info.stderr.toString());
    assert.match(info.stdout.toString(), /^size +5000000$/m);
    assert.equal((info.stdout.toString().match(/^shard /gm) ?? []).length, 8);
    assert.equal(cli(['info', 'no/such']).status, 1);
    const log = cli(['log', '--action', 'create', '--limit', '1']);
    assert.match(log.stdout.toString(), /create +tty\/photo\.jpg +5000000 bytes/);
    assert.equal(JSON.parse(cli(['log', '--json', '--limit', '2']).stdout.toString()).entries.length, 2);

    const nodes = cli(['nodes']);
    assert.equal(nodes.status, 0);
    assert.equal(nodes.stdout.toString().trim().split('\n').filter((l) => / up /.test(l)).length, 8);
    assert.equal(JSON.parse(cli(['nodes', '--json']).stdout.toString()).nodes.length, 8);
  });

  test('metrics in Prometheus text format from the gateway (admin token) and from a node (its secret)', async () => {
    await gc();
    assert.equal((await fetch(`${cluster.url}/_metrics`)).status, 401);
    const res = await cluster.admin('/_metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^# TYPE shardstore_http_requests_total counter$/m);
    assert.match(text, /^shardstore_http_requests_total\{method="POST",route="\/\*",status="201",process="gateway"\} \d+$/m);
    assert.match(text, /^shardstore_http_payload_bytes_total\{direction="in",process="gateway"\} \d+$/m);
    assert.equal((text.match(/^shardstore_node_up\{node="[^"]+",process="gateway"\} 1$/gm) ?? []).length, 8);
    assert.match(text, /^shardstore_job_passes_total\{job="cleaner",result="ok",process="gateway"\} \d+$/m);
    assert.match(text, /^shardstore_http_request_duration_seconds_bucket\{[^}]*le="0\.1"[^}]*route="\/\*"[^}]*\} \d+$/m);
    assert.match(text, /^shardstore_process_resident_memory_bytes\{process="gateway"\} \d+$/m);
    const node = cluster.state.nodes[0]!.url;
    assert.equal((await fetch(`${node}/v1/metrics`)).status, 401);
    const nodeText = await (await fetch(`${node}/v1/metrics`, { headers: { authorization: `Bearer ${cluster.state.nodeSecret}` } })).text();
    assert.match(nodeText, /^shardstore_node_shards\{process="node"\} \d+$/m);
    assert.match(nodeText, /^shardstore_http_requests_total\{method="PUT",route="\/v1\/shards\/:id",status="201",process="node"\} \d+$/m);
  });

  test('dedupe makes copies share one set of shards; the cleaner frees the rest', async () => {
    await gc();
    const before = await used();
    const data = randomBytes(6_000_000);
    const sharedBytes = async () => ((await (await cluster.admin('/_stats')).json()) as { sharedBytes: number }).sharedBytes;
    const sharedBefore = await sharedBytes();
    for (const key of ['dup/1', 'dup/2', 'dup/3']) assert.equal(await upload(key, data), 201);
    const threeCopies = (await used()) - before;
    const run = cli(['dedupe']);
    assert.equal(run.status, 0, run.stderr.toString());
    const summary = JSON.parse(run.stdout.toString()) as { groups: number; objectsShared: number };
    assert.deepEqual([summary.groups, summary.objectsShared], [1, 2]);
    assert.equal((await sharedBytes()) - sharedBefore, 2 * 6_000_000, 'the console\'s dedup savings: two copies not stored');
    assert.equal((await gc()).freedShards, 16);
    const oneCopy = (await used()) - before;
    assert.ok(Math.abs(oneCopy - threeCopies / 3) < 1000, `one copy left on disk: ${oneCopy} of ${threeCopies}`);
    for (const key of ['dup/1', 'dup/2', 'dup/3']) assert.ok((await read(key) as Buffer).equals(data), key);
    assert.equal(((await (await cluster.admin('/_objects/dup/2')).json()) as { sharedBy: number }).sharedBy, 3);
    assert.deepEqual((await dedupe()).objectsShared, 0, 'nothing left to share');

    // Deleting the one whose shards the others took over leaves them whole.
    assert.equal(cli(['delete', 'dup/1']).status, 0);
    const pass = await gc();
    assert.deepEqual([pass.purged, pass.sharedShardsKept], [1, 8]);
    for (const key of ['dup/2', 'dup/3']) assert.ok((await read(key) as Buffer).equals(data), key);
    assert.equal(cli(['delete', 'dup/2']).status, 0);
    assert.equal(cli(['delete', 'dup/3']).status, 0);
    await gc();
    assert.ok(Math.abs((await used()) - before) < 1000, 'the last delete frees the shared shards');
  });

  test('dedupe with deletes interleaved: no live object ever loses a byte', async () => {
    const shardCount = async () => (await cluster.nodes()).reduce((sum, n) => sum + n.shards, 0);
    await gc();
    const shardsBefore = await shardCount();
    const contents = [randomBytes(700_000), randomBytes(700_000), randomBytes(1)];
    const live = new Map<string, number>();
    let next = 0;
    const step = fc.oneof(
      fc.record({ op: fc.constant('upload' as const), content: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
      fc.constant({ op: 'dedupe' as const }),
      fc.constant({ op: 'gc' as const }),
    );
    const steps = fc.sample(fc.array(step, { minLength: 30, maxLength: 30 }), { seed: 4242, numRuns: 1 })[0]!;
    for (const s of steps) {
      if (s.op === 'upload') {
        const key = `mix/${next++}`;
        assert.equal(await upload(key, contents[s.content]!), 201);
        live.set(key, s.content);
      } else if (s.op === 'delete' && live.size > 0) {
        const key = [...live.keys()][s.pick % live.size]!;
        assert.equal(cli(['delete', key]).status, 0);
        live.delete(key);
      } else if (s.op === 'dedupe') {
        await dedupe();
      } else if (s.op === 'gc') {
        await gc();
      }
      for (const [key, content] of live) assert.ok((await read(key) as Buffer).equals(contents[content]!), `${key} after ${s.op}`);
    }
    for (const key of live.keys()) cli(['delete', key]);
    await dedupe();
    await gc();
    assert.equal(await shardCount(), shardsBefore, 'every shard freed once nothing uses it');
  });
});
