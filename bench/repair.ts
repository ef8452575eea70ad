/**
 * `npm run bench:repair`: how fast the repairer rebuilds a lost node and the rebalancer fills new ones,
 * with the default rates, on a local cluster of 10 nodes (6+2).
 *
 *   BENCH_REPAIR_MB (default 2048)  user data stored before the node is lost: with 2 GiB the repair lasts
 *                                   3-4 s here; with 512 MiB it lasted ~1.5 s, of which the start of the pass
 *                                   (code not yet optimised, the nodes' buffer pools filling) was a large share
 *   BENCH_REPAIR_OBJECT_MB (default 16)  the size of each object stored: with 1 the shards are one frame each
 *                                   (~175 KB) and a rebuild's fixed cost, not its bytes, sets the pace
 */
import { randomBytes } from 'node:crypto';
import { LocalCluster, waitUntil } from '../test/helpers/local-cluster.js';
import { cpuSeconds } from './proc-cpu.js';
import { bearer, nodeRoutes } from '../src/node-protocol/protocol.js';

const TOTAL = Number(process.env.BENCH_REPAIR_MB ?? 2048) * 2 ** 20;
const OBJECT = Number(process.env.BENCH_REPAIR_OBJECT_MB ?? 16) * 2 ** 20;

/**
 * Full (mark-compact) collections the nodes have run so far, from their metrics: a rebuild that makes V8
 * collect the whole heap again and again costs its CPU there (src/processes/runtime-flags.ts).
 */
async function majorGcs(nodes: readonly { url: string }[], secret: string): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const text = await (await fetch(`${node.url}${nodeRoutes.metrics}`, { headers: { authorization: bearer(secret) } })).text();
    if (!text.includes('shardstore_nodejs_gc_duration_seconds')) throw new Error(`no GC metrics from ${node.url}`);
    // A kind appears once the first collection of that kind is observed.
    const count = /^shardstore_nodejs_gc_duration_seconds_count\{[^}]*kind="major"[^}]*\} (\d+)/m.exec(text);
    total += Number(count?.[1] ?? 0);
  }
  return total;
}

const cluster = await LocalCluster.start(10, ['--gc-interval', '0']);
try {
  const body = randomBytes(OBJECT);
  for (let i = 0; i * OBJECT < TOTAL; i++) {
    const res = await fetch(`${cluster.url}/bench/${i}`, { method: 'POST', body });
    if (res.status !== 201) throw new Error(`upload ${i}: ${res.status}`);
  }
  const lost = (await cluster.nodes()).find((n) => n.id === cluster.state.nodes[0]!.id)!;
  cluster.killNode(0);
  await new Promise((r) => setTimeout(r, 500));
  const gatewayPid = cluster.state.gateway.pid;
  const survivors = cluster.state.nodes.slice(1);
  const nodePids = survivors.map((n) => n.pid);
  const gcsBefore = await majorGcs(survivors, cluster.state.nodeSecret);
  const cpuBefore = { gateway: cpuSeconds(gatewayPid), nodes: nodePids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) };
  const started = process.hrtime.bigint();
  const repair = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as { shardsRebuilt: number; shardsRebuiltOnNodes: number; bytesRebuilt: number; durationMs: number };
  const repairSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rebuiltGiB = repair.bytesRebuilt / 2 ** 30;
  const gatewayCpu = (cpuSeconds(gatewayPid) - cpuBefore.gateway) / rebuiltGiB;
  const nodesCpu = (nodePids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore.nodes) / rebuiltGiB;
  const repairGcs = (await majorGcs(survivors, cluster.state.nodeSecret)) - gcsBefore;

  for (let i = 0; i < 2; i++) await cluster.addNode();
  await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 11, 20_000, '11 nodes');
  await cluster.admin('/_rebalance', { method: 'POST' });
  await waitUntil(async () => !((await (await cluster.admin('/_rebalance')).json()) as { running: boolean }).running, 600_000, 'the rebalance');
  const rebalance = ((await (await cluster.admin('/_rebalance')).json()) as { last: { summary: { moves: number; bytesMoved: number; durationMs: number; spreadBefore: number; spreadAfter: number } } }).last.summary;

  const mb = (bytes: number) => bytes / 1e6;
  console.log(`stored ${mb(TOTAL).toFixed(0)} MB of user data (${mb((TOTAL * 8) / 6).toFixed(0)} MB with parity) on 10 nodes`);
  console.log(`lost node held ${mb(lost.used).toFixed(0)} MB in ${lost.shards} shards`);
  console.log(
    `repair: ${repair.shardsRebuilt} shards (${repair.shardsRebuiltOnNodes} rebuilt by their new nodes), ${mb(repair.bytesRebuilt).toFixed(0)} MB rebuilt in ${repairSeconds.toFixed(1)} s = ` +
      `${(mb(repair.bytesRebuilt) / repairSeconds).toFixed(0)} MB/s of rebuilt shards; CPU s per rebuilt GiB: gateway ${gatewayCpu.toFixed(2)}, nodes ${nodesCpu.toFixed(2)}; ` +
      `full GCs on the nodes meanwhile: ${repairGcs}`,
  );
  console.log(
    `rebalance onto 2 new nodes: ${rebalance.moves} moves, ${mb(rebalance.bytesMoved).toFixed(0)} MB in ${(rebalance.durationMs / 1000).toFixed(1)} s = ` +
      `${(mb(rebalance.bytesMoved) / (rebalance.durationMs / 1000)).toFixed(0)} MB/s; spread ${(rebalance.spreadBefore * 100).toFixed(0)} % -> ${(rebalance.spreadAfter * 100).toFixed(0)} %`,
  );
} finally {
  await cluster.stop();
}
