/**
 * `npm run bench:shard-writes`: one storage node's durable shard writes in-process, without HTTP: 3000
 * small shards (700 bytes, a 4 KiB object's shard) and 64 large ones (8 MiB in 64 KiB chunks), 16 and 8 at
 * a time, with the CPU they cost (user + system, main thread and thread pool).
 *
 * Nothing is deleted afterwards (the files stay under the OS temp directory): on this machine kind's ext4
 * without a journal, file creation is several times slower for minutes after many deletes, which would
 * distort the next run. BENCH_WRITES_LARGE=0 skips the large shards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newShardId } from '../src/core/ids.js';
import { ShardFiles } from '../src/storage-node/shard-files.js';

async function run(count: number, concurrency: number, body: () => Readable): Promise<{ perSecond: number; cpuMicros: number; seconds: number }> {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-writes-'));
  const files = new ShardFiles(root);
  await files.init();
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      await files.write(newShardId(), body());
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: count / seconds, cpuMicros: (used.user + used.system) / count, seconds };
}

const small = Buffer.alloc(700, 1);
const s = await run(3000, 16, () => Readable.from([small]));
console.log(`small shards (700 B): ${s.perSecond.toFixed(0)} writes/s, ${s.cpuMicros.toFixed(0)} µs CPU per write`);
if (process.env.BENCH_WRITES_LARGE !== '0') {
  const chunk = Buffer.alloc(64 * 1024, 3);
  const l = await run(64, 8, () => Readable.from((function* () { for (let i = 0; i < 128; i++) yield chunk; })()));
  console.log(`large shards (8 MiB): ${((64 * 128 * chunk.length) / 1e6 / l.seconds).toFixed(0)} MB/s`);
}
