import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { writeInPieces } from '../platform/tls-writes.js';
import { BufferPool } from '../streams/buffer-pool.js';

const OUTPUT_BUFFER_BYTES = 256 * 1024;
/**
 * The output buffers of the process's responses, reused from one response to the next: above 128 KiB a new
 * buffer is a fresh mapping whose pages fault in on first use (docs/decisions/0002-flat-gateway-memory.md),
 * which every GET paid four times before its first byte went out.
 */
const outputBuffers = new BufferPool(OUTPUT_BUFFER_BYTES, 16);

/**
 * Writes a stream of views of reused buffers (each valid only until the next is requested) to an HTTP
 * response through a few recycled output buffers: each view is copied before the next is asked for; a
 * full buffer is written and reused only when the socket has taken it (the write callback). At most
 * `buffers` × `bufferSize` bytes wait for the client, and waiting for a free buffer is the backpressure.
 */
export async function writePooled(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  bufferSize = OUTPUT_BUFFER_BYTES,
  buffers = 4,
): Promise<number> {
  const free: Buffer[] = [];
  let created = 0;
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  let finished = false;
  const release = (b: Buffer) => {
    // A write the socket takes after this response's loop ended: the buffer goes straight back.
    if (finished) return outputBuffers.release(b);
    free.push(b);
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  const acquire = async (): Promise<Buffer> => {
    for (;;) {
      if (failure) throw failure;
      const b = free.pop();
      if (b) return b;
      if (created < buffers) {
        created++;
        return bufferSize === outputBuffers.bufferSize ? outputBuffers.acquire() : Buffer.allocUnsafe(bufferSize);
      }
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  const onClose = () => {
    failure ??= new Error('the client closed the connection');
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  res.once('close', onClose);

  // Over TLS, pieces the TLS layer allocates cheaply (src/platform/tls-writes.ts).
  const encrypted = (res.socket as TLSSocket | null)?.encrypted === true;
  let current = await acquire();
  /** `current` has not been handed to the socket. */
  let currentOurs = true;
  let filled = 0;
  let written = 0;
  const flush = () => {
    const out = current;
    currentOurs = false;
    const view = out.subarray(0, filled);
    written += filled;
    const taken = (error?: Error | null) => {
      if (error) failure ??= error;
      release(out);
    };
    if (encrypted) writeInPieces(res, view, taken);
    else res.write(view, taken);
  };
  try {
    for await (const chunk of chunks) {
      let at = 0;
      while (at < chunk.length) {
        const n = chunk.copy(current, filled, at);
        filled += n;
        at += n;
        if (filled === bufferSize) {
          flush();
          current = await acquire();
          currentOurs = true;
          filled = 0;
        }
      }
    }
    if (filled > 0) flush();
    if (failure) throw failure;
    return written;
  } finally {
    res.off('close', onClose);
    finished = true;
    // The buffers not waiting on the socket go back now; those it still holds, when it has taken them.
    for (const b of free.splice(0)) outputBuffers.release(b);
    if (currentOurs) outputBuffers.release(current);
  }
}
