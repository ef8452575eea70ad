import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { writeInPieces } from '../platform/tls-writes.js';

/**
 * Writes a stream of views of reused buffers (each valid only until the next is requested) to an HTTP
 * response through a few recycled output buffers: each view is copied before the next is asked for; a
 * full buffer is written and reused only when the socket has taken it (the write callback). At most
 * `buffers` × `bufferSize` bytes wait for the client, and waiting for a free buffer is the backpressure.
 */
export async function writePooled(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  bufferSize = 256 * 1024,
  buffers = 4,
): Promise<number> {
  const free: Buffer[] = [];
  let created = 0;
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  const release = (b: Buffer) => {
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
        return Buffer.allocUnsafe(bufferSize);
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
  let filled = 0;
  let written = 0;
  const flush = () => {
    const out = current;
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
          filled = 0;
        }
      }
    }
    if (filled > 0) flush();
    if (failure) throw failure;
    return written;
  } finally {
    res.off('close', onClose);
  }
}
