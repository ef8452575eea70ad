import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer, KEEP_ALIVE_MS } from './create-server.js';

const IDLE_MS = 400;

/** Sends raw bytes, then reports whether the server closed the connection, and what it answered. */
function rawExchange(port: number, send: string, waitMs: number): Promise<{ closed: boolean; answer: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, answer });
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, answer });
    });
    socket.write(send);
  });
}

describe('the shared HTTP server settings', () => {
  let app: FastifyInstance;
  let port = 0;
  let bodiesAborted = 0;
  before(async () => {
    app = createHttpServer(pino({ level: 'silent' }), IDLE_MS);
    app.get('/slow', async () => {
      await sleep(IDLE_MS * 3);
      return { done: true };
    });
    app.get('/fast', async () => ({ done: true }));
    app.addContentTypeParser('*', (_req, _payload, done) => done(null));
    app.post('/upload', async (req) => {
      let bytes = 0;
      try {
        for await (const chunk of req.raw) bytes += (chunk as Buffer).length;
      } catch {
        bodiesAborted += 1;
      }
      return { bytes };
    });
    app.post('/refuse-unread', async (_req, reply) => reply.code(405).send({ error: 'exists' }));
    app.post('/refuse-midway', async (req, reply) => {
      for await (const _chunk of req.raw) break; // one chunk read, then the answer; the rest stays unread
      return reply.code(413).send({ error: 'too large' });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(() => app.close());

  test('keep-alive connections are announced and kept for 65 s, not Node’s 5 s', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/fast`);
    await res.text();
    assert.equal(res.headers.get('keep-alive'), `timeout=${KEEP_ALIVE_MS / 1000}`);
    assert.equal(app.server.keepAliveTimeout, KEEP_ALIVE_MS);
  });

  test('an upload whose client goes silent is cut off after the idle timeout', async () => {
    const head = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n';
    const { closed, answer } = await rawExchange(port, head + 'x'.repeat(1000), IDLE_MS * 10);
    assert.ok(closed, 'the server closed the connection');
    assert.equal(answer, '', 'no answer to a body that never came');
    for (let i = 0; i < 50 && bodiesAborted === 0; i++) await sleep(10);
    assert.equal(bodiesAborted, 1, 'the handler saw its body fail');
  });

  test('a request that arrived whole is not cut off while the server works on it', async () => {
    const { answer } = await rawExchange(port, 'GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', IDLE_MS * 10);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /\{"done":true\}/);
  });

  test('an answer given mid-body closes the connection; one given before any read keeps it', async () => {
    const big = Buffer.alloc(4_000_000, 1);
    const midway = await fetch(`http://127.0.0.1:${port}/refuse-midway`, { method: 'POST', body: big });
    assert.equal(midway.status, 413);
    assert.equal(midway.headers.get('connection'), 'close');
    await midway.text();
    const unread = await fetch(`http://127.0.0.1:${port}/refuse-unread`, { method: 'POST', body: 'small' });
    assert.equal(unread.status, 405);
    assert.equal(unread.headers.get('connection'), 'keep-alive', 'Node drains an unread body itself');
    await unread.text();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/fast`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200, 'later requests are answered');
      await res.text();
    }
  });
});
