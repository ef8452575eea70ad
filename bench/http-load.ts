import { Agent, request } from 'node:http';
import { createReadStream } from 'node:fs';

/** Minimal HTTP client pieces for the benchmark: keep-alive, streaming, no buffering of bodies. */
export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export function send(url: string, method: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...(body !== undefined && typeof body !== 'string' ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode!, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end();
    else req.end(body);
  });
}

export function uploadFile(url: string, method: string, file: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req);
  });
}

/** Runs `task(i)` for i in [0, count) with `concurrency` workers; returns operations per second. */
export async function throughput(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Milliseconds from sending a GET to its first body byte; the rest of the body is discarded. */
export function timeToFirstByte(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first: number | undefined;
    const req = request(url, { agent }, (res) => {
      res.on('data', () => {
        first ??= Number(process.hrtime.bigint() - started) / 1e6;
        res.destroy();
      });
      res.on('close', () => (first === undefined ? reject(new Error(`no body from ${url}`)) : resolve(first)));
    });
    req.on('error', reject);
    req.end();
  });
}
