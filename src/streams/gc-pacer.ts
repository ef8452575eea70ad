/**
 * Paces V8's young-generation collections by network bytes rather than by JS allocation.
 *
 * Every socket read allocates a 64 KiB buffer outside the JS heap, wrapped by a JS object of a few
 * hundred bytes. The data path copies each chunk at once, so the chunks die young, but V8 only
 * scavenges after about a semi-space (1 MiB) of *JS* allocation — some hundred megabytes of network
 * buffers later — and until then their memory stays resident. Asking for a minor GC (well under a
 * millisecond with a 1 MiB young generation) every few MiB of traffic keeps the gateway's RSS flat:
 * measured download peaks fell from 132–141 MiB to 109–113 MiB (docs/decisions/0002-flat-gateway-memory.md).
 *
 * Needs `--expose-gc` (set by bin/shardstore.js and src/processes/runtime-flags.ts); without it, a no-op.
 */
export type GcPacer = (bytes: number) => void;

/** Network bytes between two minor collections in the gateway and the nodes. */
export const GC_PACE_BYTES = 4 * 1024 * 1024;

export type MinorGc = (options: { type: 'minor' }) => void;

/** The `gc` function V8 exposes with `--expose-gc`, if it does. */
export const exposedGc = (): MinorGc | undefined => (globalThis as { gc?: MinorGc }).gc;

export function createGcPacer(bytesPerCollection: number, gc: MinorGc | undefined): GcPacer {
  if (!gc) return () => undefined;
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since >= bytesPerCollection) {
      since = 0;
      gc({ type: 'minor' });
    }
  };
}
