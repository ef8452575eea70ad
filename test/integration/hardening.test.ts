import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

/** Sends raw bytes as one HTTP request and resolves the status of the answer (0: closed without one). */
function rawRequest(url: string, bytes: Buffer): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let head = '';
    const done = (status: number) => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(15_000, () => done(-1));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (match) done(Number(match[1]));
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.end(bytes);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const garbage = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[ -~]{0,60}$/), fc.constantFrom('', '-1', 'abc', '99999999999999999999', '0x10', ' 5', '1e3'));
const pathSegment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,10}$/),
  fc.constantFrom('_nodes', '_gc', '_log', '_repair', '_rebalance', '_objects', 'filestore', 'fileinfo', '..', '.', '%', '%ZZ', '%00', '%2F', '%C0%AF', 'v1', 'shards', 'a'.repeat(3000)),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
);
const requestArb = fc.record({
  method: fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'BREW', 'TRACE'), token),
  path: fc.array(pathSegment, { minLength: 0, maxLength: 5 }).map((s) => `/${s.join('/')}`),
  query: fc.option(fc.stringMatching(/^[ -~]{0,30}$/).map((q) => q.replace(/[ #]/g, '')), { nil: undefined }),
  headers: fc.array(
    fc.tuple(
      fc.constantFrom('Content-Length', 'Range', 'Authorization', 'Content-Type', 'If-None-Match', 'If-Modified-Since', 'X-Owner-Key', 'Expect', 'Transfer-Encoding', 'Host'),
      garbage,
    ),
    { maxLength: 4 },
  ),
  body: fc.uint8Array({ maxLength: 3000 }),
});

function encode(r: { method: string; path: string; query?: string | undefined; headers: [string, string][]; body: Uint8Array }): Buffer {
  const lines = [`${r.method} ${r.path}${r.query ? `?${r.query}` : ''} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
  let hasLength = false;
  for (const [name, value] of r.headers) {
    if (name === 'Host') continue;
    // A well-formed but wrong length would leave the server waiting for bytes that never come.
    if (name === 'Content-Length' && /^\d+$/.test(value.trim())) continue;
    if (name === 'Transfer-Encoding') continue;
    if (name === 'Content-Length') hasLength = true;
    lines.push(`${name}: ${value.replace(/[\r\n]/g, '')}`);
  }
  if (!hasLength) lines.push(`Content-Length: ${r.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(r.body)]);
}

describe('hardening: garbage in, 4xx out, nothing stored changes', () => {
  let cluster: LocalCluster;
  const stored = new Map<string, string>();
  before(async () => {
    cluster = await LocalCluster.start(8);
    for (let i = 0; i < 3; i++) {
      const data = randomBytes(300_000 * (i + 1));
      assert.equal((await fetch(`${cluster.url}/keep/${i}`, { method: 'POST', body: data })).status, 201);
      stored.set(`keep/${i}`, sha(data));
    }
  });
  after(() => cluster.stop());

  const everythingIntact = async () => {
    for (const [key, digest] of stored) {
      const res = await fetch(`${cluster.url}/${key}`);
      assert.equal(res.status, 200, key);
      assert.equal(sha(Buffer.from(await res.arrayBuffer())), digest, key);
    }
  };

  test('random requests at the gateway get 2xx or 4xx, and the gateway stays up', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const status = await rawRequest(cluster.url, encode(r));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        assert.ok(status === 0 || (status >= 200 && status < 500), `${r.method} ${r.path} -> ${status}`);
      }),
      { seed: 20261122, numRuns: 300 },
    );
    // The property must have exercised the application, not only Node's parser.
    assert.ok([...statuses.keys()].filter((s) => s !== 400).length >= 3, JSON.stringify([...statuses]));
    assert.equal((await fetch(`${cluster.url}/_health`)).status, 200);
    await everythingIntact();
  });

  test('random requests at a node, with and without its secret, get 2xx or 4xx', async () => {
    const node = cluster.state.nodes[0]!.url;
    const withSecret = requestArb.chain((r) => fc.boolean().map((auth) => (auth ? { ...r, headers: [...r.headers, ['Authorization', `Bearer ${cluster.state.nodeSecret}`] as [string, string]] } : r)));
    await fc.assert(
      fc.asyncProperty(withSecret, async (r) => {
        // With the secret, only reads and listings: a random write would be a legitimate new shard.
        if (r.headers.some(([n, v]) => n === 'Authorization' && v.includes(cluster.state.nodeSecret)) && !['GET', 'HEAD'].includes(r.method)) return;
        const status = await rawRequest(node, encode(r));
        assert.ok(status === 0 || (status >= 200 && status < 500), `${r.method} ${r.path} -> ${status}`);
      }),
      { seed: 4242, numRuns: 200 },
    );
    assert.equal((await cluster.nodes()).filter((n) => n.state === 'up').length, 8, 'every node still up');
    await everythingIntact();
  });

  test('limits: headers, key length, object size, header timeout', async () => {
    assert.equal(await rawRequest(cluster.url, Buffer.from(`GET /keep/0 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)), 431);
    assert.equal((await fetch(`${cluster.url}/${'k'.repeat(5000)}`, { method: 'POST', body: 'x' })).status, 400);
    await cluster.restartGateway(['--max-object-size', '1MiB']);
    const declared = await fetch(`${cluster.url}/big/declared`, { method: 'POST', body: randomBytes(2_000_000) });
    assert.equal(declared.status, 413);
    const chunked = await fetch(`${cluster.url}/big/chunked`, {
      method: 'POST',
      body: new ReadableStream({ start(c) { for (let i = 0; i < 20; i++) c.enqueue(randomBytes(100_000)); c.close(); } }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    for (let i = 0; i < 3; i++) {
      // The refused body was half read; its connection must not be reused with the rest still unread.
      const res = await fetch(`${cluster.url}/keep/0`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.equal((await fetch(`${cluster.url}/big/chunked`)).status, 404, 'nothing stored');
    // A client that trickles its headers is cut off (slowloris).
    const { port } = new URL(cluster.url);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.write('GET /keep/0 HTTP/1.1\r\n');
      const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 1000);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(true);
      });
      socket.on('error', () => undefined);
      setTimeout(() => {
        clearInterval(drip);
        socket.destroy();
        resolve(false);
      }, 25_000);
    });
    assert.ok(closed, 'the server closed a connection whose headers never ended');
    await everythingIntact();
  });

  test('an upload whose client goes silent is cut off after --idle-timeout and leaves nothing behind', async () => {
    await cluster.restartGateway(['--idle-timeout', '1500']);
    const before = await cluster.nodes();
    const { port } = new URL(cluster.url);
    const started = Date.now();
    const cutOffAfter = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('POST /stalled/file.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n');
      socket.write(randomBytes(5_000_000)); // more than one stripe: shards are on their way to the nodes
      const giveUp = setTimeout(() => socket.destroy(), 20_000);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(Date.now() - started);
      });
    });
    assert.ok(cutOffAfter < 15_000, `cut off after ${cutOffAfter} ms`);
    await waitUntil(
      async () => {
        const now = await cluster.nodes();
        return now.every((n) => {
          const b = before.find((x) => x.id === n.id)!;
          return n.shards === b.shards && n.used === b.used;
        });
      },
      15_000,
      'node usage back to where it was',
    );
    assert.equal((await fetch(`${cluster.url}/stalled/file.bin`)).status, 404);
    await everythingIntact();
  });
});
