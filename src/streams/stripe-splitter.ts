/**
 * Cuts a byte stream into stripes of exactly `stripeBytes` (the last one may be shorter) without
 * knowing the total size in advance. Each stripe is a fresh buffer: consumers hand its slices to
 * sockets that may still hold them after the next stripe starts.
 *
 * The loop pulls the next chunk only when the consumer asks for the next stripe, so a slow consumer
 * (a slow node) stops reading from the client: backpressure end to end.
 */
export interface Stripe {
  /** The stripe's buffer; only the first `length` bytes are data. */
  readonly buffer: Buffer;
  readonly length: number;
}

export async function* splitIntoStripes(
  source: AsyncIterable<Uint8Array>,
  stripeBytes: number,
  allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
): AsyncGenerator<Stripe> {
  let current = allocate(stripeBytes);
  let filled = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(stripeBytes - filled, chunk.length - offset);
      current.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === stripeBytes) {
        yield { buffer: current, length: filled };
        current = allocate(stripeBytes);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield { buffer: current, length: filled };
}
