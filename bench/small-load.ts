import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureDebianTool } from './debian-tool.js';

const run = promisify(execFile);
// Compiled to dist/bench/; the Lua script stays in the sources' bench/.
const SCRIPT = fileURLToPath(new URL('../../bench/wrk-small-objects.lua', import.meta.url));

export interface SmallObjectRates { putPerSecond: number; getPerSecond: number }

async function wrk(url: string, seconds: number, connections: number, args: string[]): Promise<{ perSecond: number; least: number }> {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '-s', SCRIPT, url, '--', ...args], { maxBuffer: 1 << 20 });
  const m = /RESULT requests=(\d+) seconds=([\d.]+) bad=(\d+) least=(\d+)/.exec(stdout);
  if (!m) throw new Error(`wrk printed no result:\n${stdout}`);
  const [requests, elapsed, bad, least] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (bad > 0) throw new Error(`wrk ${args.join(' ')} against ${url}: ${bad} of ${requests} answers were errors`);
  if (requests === 0) throw new Error(`wrk ${args.join(' ')} against ${url}: no request was answered`);
  return { perSecond: requests / elapsed, least };
}

/**
 * 4 KiB objects through wrk (Debian's C load generator, 2 threads): `seconds` of uploads of new keys under
 * `prefix`, then `seconds` of GETs of what was written. Node's HTTP client costs ~100 µs of CPU a request,
 * which on two cores caps even nginx at 4,000–5,000 PUT/s and 9,000–10,000 GET/s; wrk reproduces the
 * reference figures for nginx (13,242 / 47,359).
 */
export async function smallObjectRates(baseUrl: string, prefix: string, method: 'PUT' | 'POST', seconds: number, connections: number): Promise<SmallObjectRates> {
  ensureDebianTool('/usr/bin/wrk', 'wrk');
  const put = await wrk(baseUrl, seconds, connections, [method, prefix]);
  // The last request of each connection may have been cut off when wrk stopped; stay clear of those keys.
  const keys = put.least - connections;
  if (keys < 1) throw new Error(`only ${put.least} uploads per wrk thread answered; nothing to read back`);
  const get = await wrk(baseUrl, seconds, connections, ['GET', prefix, String(keys)]);
  return { putPerSecond: put.perSecond, getPerSecond: get.perSecond };
}
