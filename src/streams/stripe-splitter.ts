/**
 * Cuts a byte stream into stripes of exactly `stripeBytes` (the last one may be shorter) without
 * knowing the total size in advance.
 *
 * The loop pulls the next chunk only when the consumer asks for the next stripe, so a slow consumer
 * (a slow node) stops reading from the client: backpressure end to end. Stripe buffers come from
 * `acquire`; the consumer owns each yielded buffer and gives it back when done with it.
 */
export interface Stripe {
  /** The stripe's buffer; only the first `length` bytes are data. */
  readonly buffer: Buffer;
  readonly length: number;
}

export interface StripeBuffers {
  acquire(): Buffer | Promise<Buffer>;
  release(buffer: Buffer): void;
}

export const unpooled = (stripeBytes: number): StripeBuffers => ({
  acquire: () => Buffer.allocUnsafe(stripeBytes),
  release: () => undefined,
});

export async function* splitIntoStripes(
  source: AsyncIterable<Uint8Array>,
  stripeBytes: number,
  buffers: StripeBuffers = unpooled(stripeBytes),
): AsyncGenerator<Stripe> {
  let current: Buffer | undefined;
  let filled = 0;
  try {
    yield* cut();
  } finally {
    // A stripe being filled when the source failed or the consumer stopped goes back to the pool.
    if (current) buffers.release(current);
  }

  async function* cut(): AsyncGenerator<Stripe> {
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      current ??= await buffers.acquire();
      const n = Math.min(stripeBytes - filled, chunk.length - offset);
      current.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === stripeBytes) {
        const full = current;
        current = undefined;
        filled = 0;
        yield { buffer: full, length: stripeBytes };
      }
    }
  }
  if (current && filled > 0) {
    const last = current;
    current = undefined;
    yield { buffer: last, length: filled };
  }
  }
}
