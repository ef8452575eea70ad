import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/** Where pooled output goes: an HTTP response, or the socket of an upgraded connection. */
export type PooledTarget = ServerResponse | Socket;

/**
 * The machinery both writers share: up to `buffers` buffers of one pool per response; one is written and
 * reused only when the socket has taken it (the write callback), and waiting for a free one is the
 * backpressure. Over TLS, pieces the TLS layer allocates cheaply (src/platform/tls-writes.ts).
 */
class PooledOutput {
  private readonly free: Buffer[] = [];
  private created = 0;
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;
  private finished = false;
  /** Acquired and not yet handed to the socket. */
  private readonly ours = new Set<Buffer>();
  private readonly encrypted: boolean;
  private readonly onClose = () => {
    this.failure ??= new Error('the client closed the connection');
    this.wake();
  };
  written = 0;

  constructor(
    private readonly res: PooledTarget,
    private readonly pool: BufferPool,
    private readonly buffers: number,
  ) {
    res.once('close', this.onClose);
    const socket = 'writeHead' in res ? res.socket : res;
    this.encrypted = (socket as TLSSocket | null)?.encrypted === true;
  }

  async acquire(): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const b = this.free.pop() ?? (this.created < this.buffers ? (this.created++, this.pool.acquire()) : undefined);
      if (b) {
        this.ours.add(b);
        return b;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** Hands `buffer[0, length)` to the socket; the buffer comes back when it has been taken. */
  write(buffer: Buffer, length: number): void {
    this.ours.delete(buffer);
    this.written += length;
    const taken = (error?: Error | null) => {
      if (error) this.failure ??= error;
      // A write the socket takes after this response's loop ended: the buffer goes straight back.
      if (this.finished) return this.pool.release(buffer);
      this.free.push(buffer);
      this.wake();
    };
    const view = buffer.subarray(0, length);
    if (this.encrypted) writeInPieces(this.res, view, taken);
    else this.res.write(view, taken);
  }

  /** Throws what ended the response early, if anything did. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** The buffers not waiting on the socket go back now; those it still holds, when it has taken them. */
  finish(): void {
    this.res.off('close', this.onClose);
    this.finished = true;
    for (const b of this.free.splice(0)) this.pool.release(b);
    for (const b of this.ours) this.pool.release(b);
    this.ours.clear();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}

/**
 * Writes a stream of views of reused buffers (each valid only until the next is requested) to an HTTP
 * response through a few recycled output buffers: each view is copied before the next is asked for; a
 * full buffer is written and reused only when the socket has taken it. At most `buffers` × `bufferSize`
 * bytes wait for the client.
 */
export async function writePooled(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  bufferSize = OUTPUT_BUFFER_BYTES,
  buffers = 4,
): Promise<number> {
  const out = new PooledOutput(res, bufferSize === outputBuffers.bufferSize ? outputBuffers : new BufferPool(bufferSize, 0), buffers);
  try {
    let current = await out.acquire();
    let filled = 0;
    for await (const chunk of chunks) {
      let at = 0;
      while (at < chunk.length) {
        const n = chunk.copy(current, filled, at);
        filled += n;
        at += n;
        if (filled === bufferSize) {
          out.write(current, filled);
          current = await out.acquire();
          filled = 0;
        }
      }
    }
    if (filled > 0) out.write(current, filled);
    out.check();
    return out.written;
  } finally {
    out.finish();
  }
}

/**
 * Writes `length` bytes to an HTTP response straight from buffers that `fill` reads into (a file's bytes,
 * read into the pool's buffers and written from them): no copy, and no fresh buffer per piece for the
 * garbage collector. `fill(buffer, offset, n)` puts the next `n` bytes (n ≤ buffer.length) into `buffer`.
 */
export async function writeFilled(
  res: PooledTarget,
  length: number,
  fill: (buffer: Buffer, offset: number, n: number) => Promise<void>,
  pool: BufferPool,
  buffers = 4,
): Promise<number> {
  const out = new PooledOutput(res, pool, buffers);
  try {
    for (let at = 0; at < length; ) {
      const buffer = await out.acquire();
      const n = Math.min(buffer.length, length - at);
      await fill(buffer, at, n);
      out.write(buffer, n);
      at += n;
    }
    out.check();
    return out.written;
  } finally {
    out.finish();
  }
}
