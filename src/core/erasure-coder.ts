import { createRequire } from 'node:module';
import type { ErasureScheme } from './erasure-scheme.js';

/**
 * Reed-Solomon over GF(2^8), behind a small interface so the native library can be swapped.
 * Shards of one stripe live in two contiguous buffers: `data` (k blocks) and `parity` (m blocks).
 */
export interface ErasureCoder {
  /** Fills `parity` (m × blockSize) from `data` (k × blockSize). */
  encode(data: Buffer, parity: Buffer): Promise<void>;
  /**
   * Rebuilds the blocks whose `present[i]` is false (i < k: data, i >= k: parity) in place from any
   * k present ones. With `wanted`, only those are promised: the others absent may be left as they were (the
   * solver computes one only when another needs it). A degraded read needs the data blocks and a rebuilding
   * node one block; each extra block computed costs a pass over the stripe.
   */
  reconstruct(data: Buffer, parity: Buffer, present: readonly boolean[], wanted?: readonly number[]): Promise<void>;
}

interface RonomonModule {
  create(k: number, m: number): unknown;
  encode(
    context: unknown,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error) => void,
  ): void;
}

const require = createRequire(import.meta.url);
// The package is CommonJS without type declarations; RonomonModule above describes what we use.
const ronomon = require('@ronomon/reed-solomon') as RonomonModule;

/** A coder per scheme (k + m), made on first use and kept: the gateway and a rebuilding node code many parts. */
export function erasureCoderCache(): (scheme: Pick<ErasureScheme, 'dataShards' | 'parityShards'>) => ErasureCoder {
  const coders = new Map<string, ErasureCoder>();
  return (scheme) => {
    const key = `${scheme.dataShards}+${scheme.parityShards}`;
    let coder = coders.get(key);
    if (!coder) coders.set(key, (coder = createErasureCoder(scheme)));
    return coder;
  };
}

/** ronomon's native coder runs in libuv's threadpool, so coding overlaps network I/O on the main thread. */
export function createErasureCoder(scheme: Pick<ErasureScheme, 'dataShards' | 'parityShards'>): ErasureCoder {
  const k = scheme.dataShards;
  const m = scheme.parityShards;
  const context = m > 0 ? ronomon.create(k, m) : undefined;
  const allData = (1 << k) - 1;
  const allParity = ((1 << (k + m)) - 1) ^ allData;

  const run = (sources: number, targets: number, data: Buffer, parity: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      ronomon.encode(context, sources, targets, data, 0, data.length, parity, 0, parity.length, (error) =>
        error ? reject(error) : resolve(),
      );
    });

  return {
    async encode(data, parity) {
      if (m === 0) return;
      await run(allData, allParity, data, parity);
    },
    async reconstruct(data, parity, present, wanted) {
      const wants = wanted ? new Set(wanted) : undefined;
      let sources = 0;
      let targets = 0;
      for (let i = 0; i < k + m; i++) {
        if (present[i]) sources |= 1 << i;
        else if (!wants || wants.has(i)) targets |= 1 << i;
      }
      if (targets === 0) return;
      if (m === 0 || present.filter(Boolean).length < k) {
        throw new Error(`cannot rebuild: ${present.filter(Boolean).length} of ${k} needed blocks present`);
      }
      await run(sources, targets, data, parity);
    },
  };
}
