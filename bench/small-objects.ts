/**
 * `npm run bench:small`: only the 4 KiB objects of `npm run bench` (each still striped 6 + 2, driven by wrk),
 * for quick iterations while optimising the small-object path. BENCH_SMALL_SECONDS (5), BENCH_CLIENTS (32).
 */
import { LocalCluster } from '../test/helpers/local-cluster.js';
import { smallObjectRates } from './small-load.js';

const SECONDS = Number(process.env.BENCH_SMALL_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const cluster = await LocalCluster.start(8, ['--gc-interval', '0']);
try {
  const rates = await smallObjectRates(cluster.url, '/small/', 'POST', SECONDS, CLIENTS);
  console.log(`4 KiB objects, ${SECONDS} s each way on ${CLIENTS} connections: ${rates.putPerSecond.toFixed(0)} PUT/s, ${rates.getPerSecond.toFixed(0)} GET/s`);
} finally {
  await cluster.stop();
}
