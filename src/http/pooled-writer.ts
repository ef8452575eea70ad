import type { ServerResponse } from 'node:http';

/**
 * Writes a stream of small views (verified blocks held as network chunks) to an HTTP response through a
 * few recycled buffers. Each view is copied once into the current buffer, so the network chunk it came
 * from dies at once (young, cheap to collect); a full buffer is written, and it is reused only when the
 * socket has taken it (the write callback). At most `buffers` × `bufferSize` bytes wait for the client,
 * and waiting for a free buffer is the backpressure. Without this, a download's dead chunks piled up
 * between garbage collections and the gateway's RSS swung by 50 MiB from run to run.
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

  let current = await acquire();
  let filled = 0;
  let written = 0;
  const flush = () => {
    const out = current;
    const view = out.subarray(0, filled);
    written += filled;
    res.write(view, (error) => {
      if (error) failure ??= error;
      release(out);
    });
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
