import { Agent, request } from 'node:http';
import { Agent as SecureAgent, request as secureRequest } from 'node:https';
import { spawn } from 'node:child_process';

/** The benchmark's HTTP clients: curl for the large transfers, Node's own for the time to first byte. */
export const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const secureAgent = new SecureAgent({ keepAlive: true, maxSockets: 256 });

/**
 * A large upload (`file` given) or download by Debian's curl, the client the reference figures in docs/BENCHMARKS.md were
 * taken with. Node's own HTTP client spends 1.1–2.2 CPU-seconds per GiB it downloads (curl 0.2–0.3) and 1.7–2.2
 * per GiB it uploads: on two cores that is CPU taken from the server under test, so the large transfers of
 * both systems go through curl. Asynchronous, so the memory sampler keeps ticking. `Expect:` is cleared so
 * neither server pays the 100-continue round trip.
 */
export function curlTransfer(url: string, method: string, file?: string): Promise<{ status: number; bytes: number }> {
  const upload = file === undefined ? [] : ['-T', file, '-H', 'Expect:'];
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '-X', method, ...upload, '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /^(\d{3}) (\d+)$/.exec(out.trim());
      if (code !== 0 || !m) reject(new Error(`curl ${method} ${url} exited ${code}: ${out.trim()}`));
      else resolve({ status: Number(m[1]), bytes: Number(m[2]) });
    });
  });
}

export interface FirstByte {
  /** Milliseconds from sending the GET to its first body byte. */
  ms: number;
  /** The server's own account of them (its `Server-Timing` durations by name), where it gives one. */
  server: Record<string, number>;
}

/** Times a GET to its first body byte; the rest of the body is discarded. */
export function timeToFirstByte(url: string): Promise<FirstByte> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first: number | undefined;
    const send = url.startsWith('https:') ? secureRequest : request;
    const req = send(url, { agent: url.startsWith('https:') ? secureAgent : agent }, (res) => {
      res.on('data', () => {
        first ??= Number(process.hrtime.bigint() - started) / 1e6;
        res.destroy();
      });
      const server = Object.fromEntries(
        [...String(res.headers['server-timing'] ?? '').matchAll(/([\w-]+);dur=([\d.]+)/g)].map(([, name, dur]) => [name!, Number(dur)]),
      );
      res.on('close', () => (first === undefined ? reject(new Error(`no body from ${url}`)) : resolve({ ms: first, server })));
    });
    req.on('error', reject);
    req.end();
  });
}
