import { verifiedBlock, type BlockSource } from '../core/block-frame.js';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import { ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import { OP_GET, type FrameReply } from './frames.js';
import type { BlockReadOptions } from '../domain/shard-store.js';
import type { FrameChannel } from './frame-channel.js';

/** Frames asked for ahead of the one the caller is given: one on the way while the caller works on another. */
const FRAMES_AHEAD = 2;

export interface FramedBlocksOptions {
  readonly channel: FrameChannel;
  readonly shardId: string;
  readonly blockSize: number;
  /** The shard's frames, read from the first. */
  readonly stripes: number;
  /** Says which shard on which node, in errors. */
  readonly where: string;
  /** Where a frame that arrived in several network chunks is joined. */
  readonly buffers?: BlockReadOptions['buffers'];
}

/** A framed read's refusal as the error it stands for. */
export class FramedReadRefusedError extends ShardUnavailableError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * A whole shard read frame by frame over a peer's kept framed channel (src/node-protocol/frames.ts): one call
 * per frame, FRAMES_AHEAD of them on the way, each frame verified against its CRC32C. For a shard of a few
 * frames this costs a fraction of a streamed read, which opens a connection of its own and upgrades it (two
 * connection set-ups and an HTTP head per source on every rebuild).
 */
export class FramedBlocks implements BlockSource {
  private readonly frameBytes: number;
  /** Replies (or the errors of calls that failed) in frame order; caught at once, so none goes unhandled. */
  private readonly asked: Promise<FrameReply | Error>[] = [];
  private nextToAsk = 0;
  private given = 0;
  private joined: Buffer | undefined;
  private closed = false;

  private constructor(private readonly options: FramedBlocksOptions) {
    this.frameBytes = options.blockSize + CHECKSUM_BYTES;
    this.askAhead();
  }

  /** Opens the read; resolves once the node has answered the first frame, fails with its refusal (404: ShardMissingError). */
  static async open(options: FramedBlocksOptions): Promise<FramedBlocks> {
    const reader = new FramedBlocks(options);
    const first = await reader.asked[0];
    if (first === undefined) return reader;
    try {
      reader.check(first);
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  async next(): Promise<Buffer | undefined> {
    if (this.closed) throw new Error(`${this.options.where}: read after close`);
    this.giveBack();
    const pending = this.asked.shift();
    if (pending === undefined) return undefined;
    this.askAhead();
    const pieces = this.check(await pending);
    this.given += 1;
    return verifiedBlock(pieces.length === 1 ? pieces[0]! : this.join(pieces), this.options.blockSize, this.options.where);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls still on the way are left to finish: their replies are dropped when they come.
    this.asked.length = 0;
    this.giveBack();
  }

  private askAhead(): void {
    const { channel, shardId, stripes } = this.options;
    while (!this.closed && this.nextToAsk < stripes && this.asked.length < FRAMES_AHEAD) {
      const start = this.nextToAsk * this.frameBytes;
      this.nextToAsk += 1;
      this.asked.push(channel.call(OP_GET, shardId, start, this.frameBytes).catch((error: unknown) => error as Error));
    }
  }

  /** The reply's frame, in the pieces it arrived in, or the error it stands for. */
  private check(reply: FrameReply | Error): readonly Buffer[] {
    if (reply instanceof Error) throw reply;
    if (reply.status !== 200) {
      const message = `${this.options.where}: frame ${this.given} refused: ${reply.status} ${Buffer.concat(reply.payload).toString('utf8')}`;
      throw reply.status === 404 ? new ShardMissingError(message) : new FramedReadRefusedError(message, reply.status);
    }
    if (reply.payloadBytes !== this.frameBytes) throw new ShardUnavailableError(`${this.options.where}: frame ${this.given} is ${reply.payloadBytes} bytes, not ${this.frameBytes}`);
    return reply.payload;
  }

  private join(pieces: readonly Buffer[]): Buffer {
    const frame = (this.joined = this.options.buffers?.acquire(this.frameBytes) ?? Buffer.allocUnsafe(this.frameBytes));
    let at = 0;
    for (const piece of pieces) at += piece.copy(frame, at);
    return frame;
  }

  private giveBack(): void {
    if (this.joined) this.options.buffers?.release(this.joined);
    this.joined = undefined;
  }
}
