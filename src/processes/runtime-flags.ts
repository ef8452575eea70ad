/**
 * How every Shardstore process is started (bin/shardstore.js's shebang says the same), measured in
 * docs/decisions/0002-flat-gateway-memory.md:
 * - a small V8 young generation: the data path keeps little on the JS heap, and the default semi-spaces
 *   (touched and kept) were a third of the gateway's resident memory;
 * - `gc()` exposed, for the data path's minor-GC pacing (src/streams/gc-pacer.ts);
 * - glibc told to give freed memory back: a fixed mmap threshold (no dynamic growth) and a low trim
 *   threshold, since the network's 64 KiB read buffers otherwise leave the malloc heap at its high-water
 *   mark. V8 and glibc read these only at process start.
 */
export const RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--expose-gc'];

export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: '65536',
  MALLOC_MMAP_THRESHOLD_: '131072',
};
