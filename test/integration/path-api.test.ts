import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../helpers/local-cluster.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('path API on a real 8-node cluster (6+2)', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  const post = (key: string, body: Buffer | ReadableStream | string, init: RequestInit = {}) =>
    fetch(`${cluster.url}/${key}`, { method: 'POST', body, duplex: 'half', ...init } as RequestInit);
  const get = (key: string, headers: Record<string, string> = {}) => fetch(`${cluster.url}/${key}`, { headers });

  test('round trips of many sizes, including stripe and block boundaries', async () => {
    const block = 256 * 1024;
    const stripe = 6 * block;
    const sizes = [0, 1, 7, 8, 9, 47, 48, 49, 4096, block - 1, block, block + 1, stripe - 1, stripe, stripe + 1, 2 * stripe + 13, 5_000_000];
    for (const size of sizes) {
      const data = randomBytes(size);
      const res = await post(`sizes/${size}.bin`, data);
      assert.equal(res.status, 201, `POST ${size}`);
      const info = (await res.json()) as { key: string; size: number; etag: string };
      assert.deepEqual({ key: info.key, size: info.size, etag: info.etag }, { key: `sizes/${size}.bin`, size, etag: md5(data) });
      const back = await get(`sizes/${size}.bin`);
      assert.equal(back.status, 200);
      assert.equal(back.headers.get('content-length'), String(size));
      assert.ok(Buffer.from(await back.arrayBuffer()).equals(data), `bytes of ${size}`);
    }
  });

  test("the path store's curl sequence: 201, 405, 200, 404, query ignored, HEAD, caching headers", async () => {
    const data = randomBytes(300_000);
    assert.equal((await post('images/ololo/file.jpg', data)).status, 201);
    const again = await post('images/ololo/file.jpg', data);
    assert.equal(again.status, 405);
    assert.equal(again.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await again.json()) as { error: string }).error, 'KEY_EXISTS');
    // No other way to change an object: PUT, PATCH and DELETE are methods the path does not allow.
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const refused = await fetch(`${cluster.url}/images/ololo/file.jpg`, { method, ...(method === 'DELETE' ? {} : { body: data }) });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.get('allow'), 'GET, HEAD, POST');
      assert.equal(((await refused.json()) as { error: string }).error, 'METHOD_NOT_ALLOWED');
    }
    const res = await get('images/ololo/file.jpg');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('etag'), `"${md5(data)}"`);
    assert.ok(res.headers.get('last-modified'));
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
    assert.equal((await get('images/ololo/file1.jpg')).status, 404);
    const q = await get('images/ololo/file.jpg?version=12');
    assert.ok(Buffer.from(await q.arrayBuffer()).equals(data));
    // Where the time to the first byte went, for browsers' developer tools and the benchmark.
    assert.match(q.headers.get('server-timing') ?? '', /^lookup;dur=\d+\.\d, first-block;dur=\d+\.\d$/);
    const head = await fetch(`${cluster.url}/images/ololo/file.jpg`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal((await get('images/ololo/file.jpg', { 'if-none-match': `"${md5(data)}"` })).status, 304);
    assert.equal((await get('images/ololo/file.jpg', { 'if-none-match': '"other"' })).status, 200);
    assert.equal((await get('images/ololo/file.jpg', { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() })).status, 304);

    // One access-log line per request: method, path, status, bytes, duration ("POST /images/ololo/file.jpg 201 0.57s").
    await new Promise((r) => setTimeout(r, 200));
    const lines = readFileSync(join(cluster.dir, 'logs', 'gateway.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const post201 = lines.find((l) => l.method === 'POST' && l.path === '/images/ololo/file.jpg' && l.status === 201)!;
    assert.match(String(post201.msg), /^POST \/images\/ololo\/file\.jpg 201 \d+\.\d{3}s$/);
    assert.equal(post201.bytes, data.length);
    const get200 = lines.find((l) => l.method === 'GET' && l.path === '/images/ololo/file.jpg' && l.status === 200)!;
    assert.equal(get200.bytes, data.length);
    assert.equal(typeof get200.duration, 'number');
  });

  test('byte ranges read only what they ask for: 206 exact, suffix, open-ended, 416', async () => {
    const data = randomBytes(4_000_000);
    assert.equal((await post('ranges/r.bin', data)).status, 201);
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=1000000-1999999', 1_000_000, 1_999_999],
      ['bytes=1572863-1572864', 1_572_863, 1_572_864],
      ['bytes=3999990-', 3_999_990, 3_999_999],
      ['bytes=-5', 3_999_995, 3_999_999],
    ];
    for (const [range, start, end] of cases) {
      const res = await get('ranges/r.bin', { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${data.length}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(start, end + 1)), range);
    }
    const bad = await get('ranges/r.bin', { range: 'bytes=4000000-' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), `bytes */${data.length}`);
  });

  test('chunked uploads without Content-Length', async () => {
    const data = randomBytes(3_333_333);
    const body = new ReadableStream({
      start(controller) {
        for (let at = 0; at < data.length; at += 65_536) controller.enqueue(data.subarray(at, at + 65_536));
        controller.close();
      },
    });
    const res = await post('chunked/a.bin', body);
    assert.equal(res.status, 201);
    assert.ok(Buffer.from(await (await get('chunked/a.bin')).arrayBuffer()).equals(data));
    const small = new ReadableStream({ start: (c) => (c.enqueue(Buffer.from('tiny')), c.close()) });
    assert.equal((await post('chunked/tiny.txt', small)).status, 201);
    assert.equal(await (await get('chunked/tiny.txt')).text(), 'tiny');
  });

  test('bad keys are refused with 400 and a JSON error, and nothing is stored', async () => {
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        // The options form sends the path as written; a URL string would normalise the '..' away.
        const { hostname, port } = new URL(cluster.url);
        const req = request({ hostname, port, path, method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end('x');
      });
    for (const path of ['/a/../../etc/passwd', '/a//b', '/a/b%00c', '/_nodes/x', '/_private', '/trailing/', '/a/%ZZ']) {
      assert.equal(await raw(path), 400, path);
    }
    const res = await post('a/b%00c', 'x');
    assert.deepEqual(Object.keys((await res.json()) as object).sort(), ['error', 'message']);
    assert.equal((await post('x'.repeat(1025), 'x')).status, 400);
  });

  test('concurrent POSTs of one new path: exactly one 201, the others 405', async () => {
    const bodies = Array.from({ length: 8 }, () => randomBytes(200_000));
    const statuses = await Promise.all(bodies.map((b) => post('race/one.bin', b).then((r) => r.status)));
    assert.deepEqual(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses}`);
    assert.ok(statuses.every((s) => s === 201 || s === 405));
    const winner = bodies[statuses.indexOf(201)]!;
    assert.ok(Buffer.from(await (await get('race/one.bin')).arrayBuffer()).equals(winner));
  });

  test('a 60 MB object puts one shard of about a sixth on each of the 8 nodes', async () => {
    const before = await cluster.nodes();
    const data = randomBytes(60_000_000);
    assert.equal((await post('big/file.bin', data)).status, 201);
    const after = await cluster.nodes();
    for (const n of after) {
      const b = before.find((x) => x.id === n.id)!;
      assert.equal(n.shards - b.shards, 1, `node ${n.id} got one shard`);
      const grew = n.used - b.used;
      assert.ok(grew >= 10_000_000 && grew <= 10_300_000, `node ${n.id} grew ${grew}`);
    }
  });

  test('admin endpoints need the admin token; node registration needs the node secret', async () => {
    assert.equal((await fetch(`${cluster.url}/_nodes`)).status, 401);
    assert.equal((await fetch(`${cluster.url}/_nodes`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const nodes = await cluster.nodes();
    assert.equal(nodes.length, 8);
    assert.ok(nodes.every((n) => n.state === 'up' && n.capacity > 0));
    assert.equal((await fetch(`${cluster.url}/_nodes`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${cluster.state.adminToken}` } })).status, 401);
    const bad = await fetch(`${cluster.url}/_nodes`, { method: 'POST', body: '{"id":"x"}', headers: { authorization: `Bearer ${cluster.state.nodeSecret}` } });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${cluster.url}/_health`)).status, 200);
  });

  test('storage nodes refuse requests without the cluster secret', async () => {
    const node = cluster.state.nodes[0]!;
    assert.equal((await fetch(`${node.url}/v1/status`)).status, 401);
    assert.equal((await fetch(`${node.url}/v1/shards`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    const ok = await fetch(`${node.url}/v1/status`, { headers: { authorization: `Bearer ${cluster.state.nodeSecret}` } });
    assert.equal(((await ok.json()) as { id: string }).id, node.id);
  });
});
