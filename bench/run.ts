/**
 * `npm run bench`: Shardstore (gateway + 8 nodes, 6+2) and a plain nginx WebDAV server side by side in
 * one run on this machine. Prints a table and writes bench-output/results.json.
 *
 *   BENCH_LARGE_MB (default 1024)  size of the large object
 *   BENCH_SMALL_SECONDS (default 5) seconds of 4 KiB uploads, then as many of GETs
 *   BENCH_CLIENTS (default 32)     concurrent connections for the small objects
 *   --json                         also print the results as JSON on stdout
 *   --tls                          the cluster with TLS everywhere (`shardstore cluster --tls`): curl and the
 *                                  load generator speak HTTPS to the gateway, the gateway HTTPS to the nodes
 *
 * The large PUT and GET of both systems go through Debian's curl (see `curlTransfer`), the 4 KiB objects
 * through Debian's wrk (see `smallObjectRates`): clients written in C, as the reference figures in docs/BENCHMARKS.md were
 * taken, so that the client does not take the two cores from the server it measures. Each system first gets
 * one untimed 64 MiB PUT and GET (a JIT-compiled server's first request would measure its compiler).
 *
 * Besides the side-by-side table it measures, for Shardstore, the time to first byte of the large GET and
 * a degraded large GET with two nodes killed (median of three cold), and prints each performance target (docs/BENCHMARKS.md) as met or not.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { LocalCluster } from '../test/helpers/local-cluster.js';
import { freePort } from '../src/processes/ports.js';
import { curlTransfer, timeToFirstByte, type FirstByte } from './http-load.js';
import { smallObjectRates } from './small-load.js';
import { ensureDebianTool } from './debian-tool.js';
import { startNginx } from './nginx-webdav.js';
import { cpuSeconds } from './proc-cpu.js';

const LARGE = Number(process.env.BENCH_LARGE_MB ?? 1024) * 2 ** 20;
const SMALL_SECONDS = Number(process.env.BENCH_SMALL_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const WARM_UP = 64 * 2 ** 20;
const TLS = process.argv.includes('--tls');

/** A /proc field in kB as MiB; 0 once the process is gone (the degraded GET kills two nodes). */
function procMiB(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Peak memory while the large object goes up and down. RSS counts the shared, file-backed `node` binary in
 * full in every process (about 55 MiB here); PSS splits shared pages among the processes that map them, and
 * RssAnon is the memory the process itself allocated.
 */
interface Peaks { gatewayRss: number; nodeRss: number; nodePss: number; nodeAnon: number }

function sampleMemory(gatewayPid: number, nodePids: number[]): { stop: () => Peaks } {
  const peaks: Peaks = { gatewayRss: 0, nodeRss: 0, nodePss: 0, nodeAnon: 0 };
  const tick = () => {
    peaks.gatewayRss = Math.max(peaks.gatewayRss, procMiB(gatewayPid, 'status', 'VmRSS'));
    for (const pid of nodePids) {
      peaks.nodeRss = Math.max(peaks.nodeRss, procMiB(pid, 'status', 'VmRSS'));
      peaks.nodeAnon = Math.max(peaks.nodeAnon, procMiB(pid, 'status', 'RssAnon'));
      peaks.nodePss = Math.max(peaks.nodePss, procMiB(pid, 'smaps_rollup', 'Pss'));
    }
  };
  const timer = setInterval(tick, 200);
  return { stop: () => (clearInterval(timer), tick(), peaks) };
}

function dropCaches(): boolean {
  try {
    execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { stdio: 'ignore', shell: '/bin/bash' });
    return true;
  } catch {
    return false;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** CPU seconds per GiB moved by the large PUT and GET: comparable across runs where MB/s varies with the machine's load. */
interface CpuPerGiB { gatewayPut: number; nodesPut: number; gatewayGet: number; nodesGet: number }
interface Row { system: string; putMBs: number; getMBs: number; smallPut: number; smallGet: number; memory?: Peaks; cpuPerGiB?: CpuPerGiB }

async function randomFile(path: string, size: number): Promise<string> {
  const handle = await open(path, 'w');
  const chunk = randomBytes(8 * 2 ** 20);
  for (let at = 0; at < size; at += chunk.length) await handle.write(chunk, 0, Math.min(chunk.length, size - at));
  await handle.close();
  return path;
}

async function measure(name: string, url: string, keyPrefix: string, method: 'POST' | 'PUT', afterPut: () => void, pids?: { gateway: number; nodes: number[] }): Promise<Row> {
  const work = mkdtempSync(join(tmpdir(), 'shardstore-bench-file-'));
  const warmUp = await randomFile(join(work, 'warm-up.bin'), WARM_UP);
  if ((await curlTransfer(`${url}/${keyPrefix}warm-up.bin`, method, warmUp)).status >= 300) throw new Error(`${name} warm-up PUT failed`);
  if ((await curlTransfer(`${url}/${keyPrefix}warm-up.bin`, 'GET')).bytes !== WARM_UP) throw new Error(`${name} warm-up GET failed`);
  const file = await randomFile(join(work, 'large.bin'), LARGE);

  const sampler = pids ? sampleMemory(pids.gateway, pids.nodes) : undefined;
  const cpu = () => (pids ? { gateway: cpuSeconds(pids.gateway), nodes: pids.nodes.reduce((sum, pid) => sum + cpuSeconds(pid), 0) } : { gateway: 0, nodes: 0 });
  const beforePut = cpu();
  const put = await timed(async () => {
    const { status } = await curlTransfer(`${url}/${keyPrefix}large.bin`, method, file);
    if (status >= 300) throw new Error(`${name} large PUT answered ${status}`);
    afterPut();
  });
  const afterPutCpu = cpu();
  dropCaches();
  const beforeGet = cpu();
  const get = await timed(() => curlTransfer(`${url}/${keyPrefix}large.bin`, 'GET'));
  if (get.value.bytes !== LARGE) throw new Error(`${name} large GET returned ${get.value.bytes} bytes`);
  const afterGet = cpu();
  const memory = sampler?.stop();
  const gib = LARGE / 2 ** 30;
  const cpuPerGiB = pids && {
    gatewayPut: (afterPutCpu.gateway - beforePut.gateway) / gib,
    nodesPut: (afterPutCpu.nodes - beforePut.nodes) / gib,
    gatewayGet: (afterGet.gateway - beforeGet.gateway) / gib,
    nodesGet: (afterGet.nodes - beforeGet.nodes) / gib,
  };
  rmSync(work, { recursive: true, force: true });

  const small = await smallObjectRates(url, `/${keyPrefix}small/`, method, SMALL_SECONDS, CLIENTS);
  const mbs = (s: number) => LARGE / 1e6 / s;
  return { system: name, putMBs: mbs(put.seconds), getMBs: mbs(get.seconds), smallPut: small.putPerSecond, smallGet: small.getPerSecond, ...(memory ? { memory } : {}), ...(cpuPerGiB ? { cpuPerGiB } : {}) };
}

ensureDebianTool('/usr/bin/curl', 'curl');
const cachesDroppable = dropCaches();
const nginxDir = mkdtempSync(join(tmpdir(), 'shardstore-bench-nginx-'));
const nginx = await startNginx(nginxDir, await freePort('127.0.0.1'));
const rows: Row[] = [];
try {
  rows.push(await measure('nginx WebDAV (1 file, no redundancy)', nginx.url, '', 'PUT', () => execSync('sync')));
} finally {
  await nginx.stop();
  rmSync(nginxDir, { recursive: true, force: true });
}
const cluster = await LocalCluster.start(8, TLS ? ['--tls'] : []);
// curl checks the gateway's certificate against the cluster's CA (LocalCluster makes this process trust it).
if (cluster.state.caFile) process.env.CURL_CA_BUNDLE = cluster.state.caFile;
interface FirstByteMedians { ms: number; lookupMs: number; firstBlockMs: number }
let extra: { ttfbColdMs: number; ttfbWarmMs: number; ttfbCold: FirstByteMedians; ttfbWarm: FirstByteMedians; degradedGetMBs: number };
try {
  rows.push(await measure(`Shardstore 6+2 on 8 nodes${TLS ? ', TLS' : ''}`, cluster.url, 'bench/', 'POST', () => undefined, {
    gateway: cluster.state.gateway.pid,
    nodes: cluster.state.nodes.map((n) => n.pid),
  }));
  const large = `${cluster.url}/bench/large.bin`;
  // Each sample on a quiet cluster: a GET cut off after its first byte leaves the gateway and six nodes
  // tearing down reads for a few milliseconds, which the next sample would otherwise measure too.
  const quietly = async (cold: boolean) => {
    if (cold) dropCaches();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return timeToFirstByte(large);
  };
  const cold: FirstByte[] = [];
  for (let i = 0; i < 3; i++) cold.push(await quietly(true));
  const warm: FirstByte[] = [];
  for (let i = 0; i < 5; i++) warm.push(await quietly(false));
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  const medians = (samples: FirstByte[]): FirstByteMedians => ({
    ms: median(samples.map((s) => s.ms)),
    lookupMs: median(samples.map((s) => s.server.lookup ?? NaN)),
    firstBlockMs: median(samples.map((s) => s.server['first-block'] ?? NaN)),
  });
  // Two nodes down (m = 2): every read rebuilds their shards from parity. The median of three cold GETs: one
  // sample, set against the healthy GET's, put the ratio anywhere between 0.6 and 1.1 on this machine.
  cluster.killNode(0);
  cluster.killNode(1);
  const degradedSeconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    dropCaches();
    const degraded = await timed(() => curlTransfer(large, 'GET'));
    if (degraded.value.bytes !== LARGE) {
      const res = await fetch(large);
      throw new Error(`degraded GET returned ${degraded.value.bytes} bytes (status ${degraded.value.status}); again: ${res.status} ${(await res.text()).slice(0, 200)}`);
    }
    degradedSeconds.push(degraded.seconds);
  }
  const ttfbCold = medians(cold);
  const ttfbWarm = medians(warm);
  extra = { ttfbColdMs: ttfbCold.ms, ttfbWarmMs: ttfbWarm.ms, ttfbCold, ttfbWarm, degradedGetMBs: LARGE / 1e6 / median(degradedSeconds) };
} finally {
  await cluster.stop();
}

const [base, ours] = rows as [Row, Row];
const pad = (s: string, n: number) => s.padEnd(n);
const num = (v: number) => v.toFixed(0).padStart(9);
console.log(
  `\nlarge object: ${LARGE / 2 ** 20} MiB by curl; small objects: 4 KiB by wrk, ${SMALL_SECONDS} s of uploads then of GETs on ${CLIENTS} connections; ` +
    `page cache dropped before large GETs: ${cachesDroppable}`,
);
console.log(`${pad('system', 40)} ${'PUT MB/s'.padStart(9)} ${'GET MB/s'.padStart(9)} ${'4K PUT/s'.padStart(9)} ${'4K GET/s'.padStart(9)}`);
for (const r of rows) console.log(`${pad(r.system, 40)} ${num(r.putMBs)} ${num(r.getMBs)} ${num(r.smallPut)} ${num(r.smallGet)}`);
console.log(`${pad('Shardstore / nginx', 40)} ${(ours.putMBs / base.putMBs).toFixed(2).padStart(9)} ${(ours.getMBs / base.getMBs).toFixed(2).padStart(9)} ${(ours.smallPut / base.smallPut).toFixed(2).padStart(9)} ${(ours.smallGet / base.smallGet).toFixed(2).padStart(9)}`);
const mem = ours.memory!;
const cpu = ours.cpuPerGiB!;
console.log(
  `CPU seconds per GiB of the large object: PUT gateway ${cpu.gatewayPut.toFixed(2)}, nodes ${cpu.nodesPut.toFixed(2)}; ` +
    `GET gateway ${cpu.gatewayGet.toFixed(2)}, nodes ${cpu.nodesGet.toFixed(2)}`,
);
console.log(
  `peak memory during the large PUT and GET: gateway RSS ${mem.gatewayRss.toFixed(0)} MiB; ` +
    `largest node RSS ${mem.nodeRss.toFixed(0)} MiB (PSS ${mem.nodePss.toFixed(0)}, anonymous ${mem.nodeAnon.toFixed(0)})`,
);
console.log(`time to first byte of the large GET: ${extra.ttfbColdMs.toFixed(1)} ms cold (median of 3, page cache dropped before each), ${extra.ttfbWarmMs.toFixed(1)} ms warm (median of 5)`);
const inside = (m: FirstByteMedians) => `request to object record ${m.lookupMs.toFixed(1)} ms, first block verified ${m.firstBlockMs.toFixed(1)} ms`;
console.log(`  inside the gateway (its Server-Timing, medians): cold ${inside(extra.ttfbCold)}; warm ${inside(extra.ttfbWarm)}`);
console.log(`degraded large GET (2 of 8 nodes killed, median of 3 cold): ${extra.degradedGetMBs.toFixed(0)} MB/s = ${(extra.degradedGetMBs / ours.getMBs).toFixed(2)} of the healthy GET`);

const targets = [
  { target: 'large PUT >= 0.44 x nginx PUT+sync', value: ours.putMBs / base.putMBs, met: ours.putMBs / base.putMBs >= 0.44 },
  { target: 'large GET >= 0.5 x nginx cold GET', value: ours.getMBs / base.getMBs, met: ours.getMBs / base.getMBs >= 0.5 },
  { target: '4 KiB PUT/s >= 1000', value: ours.smallPut, met: ours.smallPut >= 1000 },
  { target: '4 KiB GET/s >= 3000', value: ours.smallGet, met: ours.smallGet >= 3000 },
  { target: 'degraded GET >= 0.7 x healthy', value: extra.degradedGetMBs / ours.getMBs, met: extra.degradedGetMBs / ours.getMBs >= 0.7 },
  { target: 'time to first byte <= 15 ms (cold)', value: extra.ttfbColdMs, met: extra.ttfbColdMs <= 15 },
  { target: 'time to first byte <= 5 ms (warm)', value: extra.ttfbWarmMs, met: extra.ttfbWarmMs <= 5 },
  { target: 'gateway peak RSS < 150 MiB', value: mem.gatewayRss, met: mem.gatewayRss < 150 },
  { target: 'no node above 100 MiB RSS', value: mem.nodeRss, met: mem.nodeRss < 100 },
];
console.log('\nperformance targets (listing: npm run bench:listing; 10 GiB: BENCH_LARGE_MB=10240):');
for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.target.padEnd(38)} ${t.value.toFixed(2)}`);
const results = { date: new Date().toISOString(), tls: TLS, largeBytes: LARGE, smallSeconds: SMALL_SECONDS, clients: CLIENTS, cachesDropped: cachesDroppable, rows, ...extra, targets };
mkdirSync('bench-output', { recursive: true });
writeFileSync('bench-output/results.json', JSON.stringify(results, null, 2) + '\n');
console.log('written to bench-output/results.json');
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
