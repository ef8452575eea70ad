/**
 * How every Shardstore process is started (bin/shardstore.js's shebang says the same), measured in
 * docs/decisions/0002-flat-gateway-memory.md:
 * - a small V8 young generation: the data path keeps little on the JS heap, and the default semi-spaces
 *   (touched and kept) were a third of the gateway's resident memory;
 * - `gc()` exposed, for the data path's minor-GC pacing (src/streams/gc-pacer.ts);
 * - glibc told to give freed memory back: a fixed mmap threshold (no dynamic growth) and a low trim
 *   threshold, since the network's 64 KiB read buffers otherwise leave the malloc heap at its high-water
 *   mark. V8 and glibc read these only at process start;
 * - an old generation that is not fully collected below 48 MiB. V8 derives the next full collection's trigger
 *   from the heap that survived the last one (a node's is ~20 MiB, so the trigger sat 10–30 MiB above it), and
 *   counts the growth of external memory (Buffers) since then toward it. A node rebuilding shards holds
 *   5–10 MiB more of its peers' network buffers at one moment than at the next, which was enough to start a
 *   mark-compact of the whole heap every 100–200 ms: 65–87 of them in a 3 s `npm run bench:repair`, ~40 % of
 *   the nodes' CPU. With this floor: 0–10 in the same repair (docs/BENCHMARKS.md). The limits V8 computed
 *   before were already up to 51 MiB, so a node's worst-case heap hardly grows; a process whose working set
 *   is above the floor (the gateway) is not affected by it.
 */
export const RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--expose-gc', '--initial-old-space-size=48'];

/**
 * The gateway's young generation is 4 MiB: it allocates per request (routing, metadata rows, frames), and
 * with 1 MiB it scavenged every five small requests, 15 % of its CPU under 4 KiB GETs; each survivor of two
 * scavenges is promoted, so over a 10 GiB download the old generation grew by 13 MiB. Measured with
 * `npm run bench` (docs/BENCHMARKS.md): 1 → 2 MiB took 4 KiB GETs 1,339 → 1,611/s and the 10 GiB run's peak
 * RSS 151 → 139 MiB; 2 → 4 MiB, four alternated pairs, took 4 KiB PUTs from a median of 1,015 to 1,111/s
 * for ~4 MiB more RSS (the 10 GiB run's peak 140 MiB).
 * The nodes keep 1 MiB; their requests are fewer and simpler, and their RSS is the tighter budget.
 */
export const GATEWAY_RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--expose-gc'];

export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: '65536',
  MALLOC_MMAP_THRESHOLD_: '131072',
};
