import { connect, type Socket } from 'node:net';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import { ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import { parseStreamHead, streamReadRequest } from './stream-reads.js';
import { verifiedBlock, type BlockSource } from '../core/block-frame.js';
import type { BlockReadOptions } from '../domain/shard-store.js';

/** The node answered the upgrade as a node without streamed reads does: read over HTTP instead. */
export class StreamReadsUnsupportedError extends Error {}

/**
 * Where an answer's head and the bytes after a pause are read into. A 101's head is ~90 bytes; a read after a
 * pause lands here and is copied into the frame that was freed (one small copy per pause).
 */
const PARKING_BYTES = 512;

/** A refusal's reason is read up to this many bytes. */
const REFUSAL_BYTES = 4096;

export interface StreamedBlocksOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly authorization: string;
  /** Whole frames of the shard: bytes [start, end]. */
  readonly range: { readonly start: number; readonly end: number };
  readonly blockSize: number;
  /** Says which shard on which node, in errors. */
  readonly where: string;
  /** Until the node's 101. */
  readonly timeoutMs: number;
  /** After the 101: the node silent this long while a frame is wanted fails the read (none: the caller's deadline governs). */
  readonly idleMs?: number | undefined;
  readonly signal: AbortSignal;
  readonly buffers?: BlockReadOptions['buffers'];
  /** Told of the bytes of every frame received. */
  readonly onBytes?: (bytes: number) => void;
}

/**
 * A long shard read on a connection of its own (src/node-protocol/stream-reads.ts) whose bytes the kernel
 * puts straight into two frame buffers (`net.Socket`'s `onread`): no 64 KiB buffer per socket read for the
 * garbage collector, no HTTP parser, no copy into the block. While the caller holds one verified block, the
 * socket fills the other; with both full it is paused until the caller asks for the next block.
 */
export class StreamedBlocks implements BlockSource {
  private readonly socket: Socket;
  private readonly frameBytes: number;
  private readonly expected: number;
  private readonly frames: Buffer[];
  private readonly parking = Buffer.allocUnsafeSlow(PARKING_BYTES);
  /** Phase of the answer: its head, a refusal's reason, or the frames. */
  private phase: 'head' | 'refusal' | 'frames' = 'head';
  private headBytes = 0;
  private refusal: Buffer[] = [];
  private refusalStatus = 0;
  /** The frame being filled (undefined while both are full) and how much of it is. */
  private filling: number | undefined = 0;
  private filled = 0;
  private readonly ready: number[] = [];
  /** The frame whose block the caller holds. */
  private held: number | undefined;
  private received = 0;
  private ended = false;
  private failure: Error | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly onAbort = () => this.fail(new ShardUnavailableError(`${this.options.where}: the read was closed`));

  private constructor(private readonly options: StreamedBlocksOptions) {
    this.frameBytes = options.blockSize + CHECKSUM_BYTES;
    this.expected = options.range.end - options.range.start + 1;
    if (this.expected % this.frameBytes !== 0) throw new Error(`${options.where}: a streamed read is whole frames, not ${this.expected} bytes`);
    const take = () => options.buffers?.acquire(this.frameBytes) ?? Buffer.allocUnsafe(this.frameBytes);
    this.frames = [take(), take()];
    this.socket = connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      onread: { buffer: () => this.target(), callback: (n: number, buffer: Uint8Array) => this.arrived(n, buffer) },
    });
    this.socket.setTimeout(options.timeoutMs, () => {
      const streaming = this.phase === 'frames';
      this.fail(new ShardUnavailableError(`${options.where}: no ${streaming ? 'bytes' : 'answer'} within ${streaming ? options.idleMs : options.timeoutMs} ms`));
    });
    this.socket.on('error', (error) => this.fail(new ShardUnavailableError(`${options.where}: ${error.message}`, { cause: error })));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
    this.socket.write(streamReadRequest(options.path, `${options.host}:${options.port}`, options.authorization, options.range));
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Opens the read; resolves once the node has accepted it, fails with its refusal (404: ShardMissingError). */
  static async open(options: StreamedBlocksOptions): Promise<StreamedBlocks> {
    if (options.signal.aborted) throw new ShardUnavailableError(`${options.where}: the read was closed`);
    const reader = new StreamedBlocks(options);
    try {
      await new Promise<void>((resolve, reject) => (reader.opened = { resolve, reject }));
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  async next(): Promise<Buffer | undefined> {
    if (this.closed) throw new Error(`${this.options.where}: read after close`);
    if (this.held !== undefined) this.free(this.held);
    for (;;) {
      const index = this.ready.shift();
      if (index !== undefined) {
        this.held = index;
        return verifiedBlock(this.frames[index]!, this.options.blockSize, this.options.where);
      }
      if (this.failure) throw this.failure;
      if (this.ended) {
        if (this.received === this.expected) return undefined;
        throw new ShardUnavailableError(`${this.options.where}: the node ended the read after ${this.received} of ${this.expected} bytes`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
    this.fail(new ShardUnavailableError(`${this.options.where}: the read was closed`));
    // No read lands in a buffer once the socket is destroyed (libuv reads on this thread, and stops at close).
    for (const frame of this.frames) this.options.buffers?.release(frame);
  }

  /** Where the next socket read goes: the rest of the frame being filled, else the parking buffer. */
  private target(): Uint8Array {
    if (this.phase === 'frames' && this.filling !== undefined) return this.frames[this.filling]!.subarray(this.filled);
    if (this.phase === 'head') return this.parking.subarray(this.headBytes);
    return this.parking;
  }

  /** `n` bytes arrived in `buffer`; false pauses the socket (both frames are full). */
  private arrived(n: number, buffer: Uint8Array): boolean {
    if (this.closed || this.failure) return false;
    if (this.phase === 'head') return this.headArrived(n);
    if (this.phase === 'refusal') {
      const bytes = this.refusal.reduce((sum, b) => sum + b.length, 0);
      if (bytes < REFUSAL_BYTES) this.refusal.push(Buffer.from(this.parking.subarray(0, n)));
      return true;
    }
    // After a pause the read went to the parking buffer: it belongs at the start of the frame freed since.
    if (buffer.buffer === this.parking.buffer) return this.take(this.parking.subarray(0, n));
    return this.advance(n);
  }

  private headArrived(n: number): boolean {
    this.headBytes += n;
    const head = parseStreamHead(this.parking.subarray(0, this.headBytes));
    if (!head) {
      if (this.headBytes === PARKING_BYTES) this.fail(new ShardUnavailableError(`${this.options.where}: an answer head longer than ${PARKING_BYTES} bytes`));
      return true;
    }
    const rest = this.parking.subarray(head.headBytes, this.headBytes);
    if (!head.fromStreamNode) {
      this.fail(new StreamReadsUnsupportedError(`${this.options.where}: the node answered ${head.status} without streamed reads`));
      return false;
    }
    if (head.status !== 101) {
      this.phase = 'refusal';
      this.refusal.push(Buffer.from(rest));
      this.refusalStatus = head.status;
      return true;
    }
    this.phase = 'frames';
    this.socket.setTimeout(this.options.idleMs ?? 0);
    this.opened?.resolve();
    this.opened = undefined;
    return rest.length === 0 || this.take(rest);
  }

  /** Copies bytes that arrived elsewhere into the frame being filled (it has room: they are less than a frame). */
  private take(bytes: Buffer): boolean {
    if (this.filling === undefined || bytes.length > this.frameBytes - this.filled) {
      this.fail(new ShardUnavailableError(`${this.options.where}: bytes arrived with no frame to hold them`));
      return false;
    }
    bytes.copy(this.frames[this.filling]!, this.filled);
    return this.advance(bytes.length);
  }

  /** `n` more bytes are in the frame being filled. */
  private advance(n: number): boolean {
    this.received += n;
    this.filled += n;
    if (this.received > this.expected) {
      this.fail(new ShardUnavailableError(`${this.options.where}: the node sent more than the ${this.expected} bytes asked for`));
      return false;
    }
    if (this.filled < this.frameBytes) return true;
    this.options.onBytes?.(this.frameBytes);
    this.ready.push(this.filling!);
    this.filled = 0;
    this.filling = this.frames.findIndex((_, i) => i !== this.held && !this.ready.includes(i));
    if (this.filling < 0) {
      // Paused until the caller frees a frame: the node's silence meanwhile is the caller's doing.
      this.filling = undefined;
      this.socket.setTimeout(0);
    }
    this.notify();
    return this.filling !== undefined;
  }

  /** The caller is done with frame `index`: the socket may fill it (and reads on if it had to stop). */
  private free(index: number): void {
    this.held = undefined;
    if (this.filling !== undefined || this.ended || this.failure) return;
    this.filling = index;
    this.filled = 0;
    this.socket.setTimeout(this.options.idleMs ?? 0);
    this.socket.resume();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.phase === 'refusal') {
      const message = `${this.options.where}: ${this.refusalStatus} ${Buffer.concat(this.refusal).toString('utf8')}`;
      this.fail(this.refusalStatus === 404 ? new ShardMissingError(message) : new ShardUnavailableError(message));
    } else if (this.phase === 'head') {
      this.fail(new ShardUnavailableError(`${this.options.where}: the node closed the connection before answering`));
    }
    this.notify();
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    if (!this.socket.destroyed && !this.ended) this.socket.destroy();
    this.opened?.reject(this.failure);
    this.opened = undefined;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
