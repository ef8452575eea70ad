/**
 * `npm run bench:small`: only the 4 KiB objects of `npm run bench` (each still striped 6 + 2), for quick
 * iterations while optimising the small-object path. BENCH_SMALL_COUNT (2000), BENCH_CLIENTS (32).
 */
import { randomBytes } from 'node:crypto';
import { LocalCluster } from '../test/helpers/local-cluster.js';
import { send, throughput } from './http-load.js';

const COUNT = Number(process.env.BENCH_SMALL_COUNT ?? 2000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const cluster = await LocalCluster.start(8, ['--gc-interval', '0']);
try {
  const body = randomBytes(4096);
  const put = await throughput(COUNT, CLIENTS, async (i) => {
    const r = await send(`${cluster.url}/small/${i}`, 'POST', body);
    if (r.status !== 201) throw new Error(`PUT ${i}: ${r.status}`);
  });
  const get = await throughput(COUNT, CLIENTS, async (i) => {
    const r = await send(`${cluster.url}/small/${i}`, 'GET', '');
    if (r.bytes !== 4096) throw new Error(`GET ${i}: ${r.bytes} bytes`);
  });
  console.log(`4 KiB objects, ${COUNT} with ${CLIENTS} clients: ${put.toFixed(0)} PUT/s, ${get.toFixed(0)} GET/s`);
} finally {
  await cluster.stop();
}
