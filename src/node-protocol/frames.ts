/**
 * The node protocol's framed channel for small shards (docs/NODE-PROTOCOL.md, "Framed channel"): after an
 * HTTP upgrade of `GET /v1/frames`, one kept connection per gateway and node carries many small shard
 * writes and reads as binary frames, answered by request id in any order. An HTTP exchange costs ~100 µs of
 * CPU on each side here; a frame a few µs, and the frames of one wake-up of the event loop go out in one write.
 *
 * Request: len u32 (bytes after this field) · op u8 · 3 zero bytes · request id u32 · shard id (16 bytes)
 *          · a u32 · b u32 · payload (PUT: the shard; GET: none, a = start, b = length)
 * Reply:   len u32 · op u8 (REPLY) · 3 zero bytes · request id u32 · status u32 (HTTP's codes) · value u32
 *          · payload (GET 200: the bytes; PUT 201: none, value = size; an error: its message in UTF-8)
 * All little-endian.
 */
export const FRAMES_PATH = '/v1/frames';
export const FRAMES_UPGRADE = 'shardstore-frames/1';
export const OP_PUT = 1;
export const OP_GET = 2;
export const OP_REPLY = 0x80;
const REQUEST_HEADER = 36;
const REPLY_HEADER = 20;
/** Shards at most this big are written through frames; the rest stream over HTTP. */
export const FRAMED_SHARD_BYTES = 64 * 1024;
/**
 * Reads at most this long go through frames: a block of up to 1 MiB with its checksum, so that the first
 * stripe of a large read (asked for on its own) travels on the kept connection instead of a new HTTP exchange.
 */
export const FRAMED_READ_BYTES = 1024 * 1024 + 4096;
/** A request frame claiming more than this is a protocol error (the connection is dropped). */
export const MAX_REQUEST_FRAME_BYTES = FRAMED_SHARD_BYTES + 4096;
/** The same for a reply frame. */
export const MAX_REPLY_FRAME_BYTES = FRAMED_READ_BYTES + 4096;

export interface FrameRequest {
  op: number;
  id: number;
  shardId: string;
  a: number;
  b: number;
  payload: Buffer;
}

export interface FrameReply {
  id: number;
  status: number;
  value: number;
  /** The payload's bytes in pieces, as they arrived (a long read is not joined into one buffer). */
  payload: readonly Buffer[];
  payloadBytes: number;
}

export class FrameProtocolError extends Error {}

export function encodeRequest(op: number, id: number, shardId: string, a: number, b: number, payload: readonly Buffer[] = []): Buffer[] {
  const length = payload.reduce((n, p) => n + p.length, 0);
  const header = Buffer.allocUnsafe(REQUEST_HEADER);
  header.writeUInt32LE(REQUEST_HEADER - 4 + length, 0);
  header.writeUInt32LE(op, 4);
  header.writeUInt32LE(id, 8);
  header.write(shardId.replaceAll('-', ''), 12, 16, 'hex');
  header.writeUInt32LE(a, 28);
  header.writeUInt32LE(b, 32);
  return [header, ...payload];
}

export function encodeReply(id: number, status: number, value: number, payload?: Buffer): Buffer[] {
  const header = Buffer.allocUnsafe(REPLY_HEADER);
  header.writeUInt32LE(REPLY_HEADER - 4 + (payload?.length ?? 0), 0);
  header.writeUInt32LE(OP_REPLY, 4);
  header.writeUInt32LE(id, 8);
  header.writeUInt32LE(status, 12);
  header.writeUInt32LE(value, 16);
  return payload ? [header, payload] : [header];
}

/**
 * A frame as it arrived: pieces (views of the network's chunks) whose bytes in order are the frame; the
 * first holds at least the frame's header. A long reply is not copied into one buffer of its own: with the
 * processes' malloc settings every buffer above 128 KiB is a fresh mapping whose pages fault in one by one,
 * which cost ~1 ms for each 256 KiB first stripe (a CPU profile of the gateway during GETs).
 */
export type Frame = readonly Buffer[];

/** Cuts a byte stream into whole frames, however the network split it. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** The frames completed by `chunk` (their buffers are views of the chunks, which are the frame's own: safe to keep). */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    while (this.pendingBytes >= 4) {
      this.joinFront(4);
      const length = this.pending[0]!.readUInt32LE(0);
      if (length > this.maxFrameBytes || length < REPLY_HEADER - 4) throw new FrameProtocolError(`a frame of ${length} bytes`);
      const total = 4 + length;
      if (this.pendingBytes < total) break;
      this.joinFront(Math.min(total, REQUEST_HEADER));
      const pieces: Buffer[] = [];
      for (let need = total; need > 0; ) {
        const front = this.pending[0]!;
        if (front.length <= need) {
          pieces.push(front);
          this.pending.shift();
          need -= front.length;
        } else {
          pieces.push(front.subarray(0, need));
          this.pending[0] = front.subarray(need);
          need = 0;
        }
      }
      this.pendingBytes -= total;
      frames.push(pieces);
    }
    return frames;
  }

  /** Makes the first pending buffer hold at least `n` bytes, copying only those. */
  private joinFront(n: number): void {
    if (this.pending[0]!.length >= n) return;
    const head = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; ) {
      const front = this.pending[0]!;
      const take = Math.min(n - at, front.length);
      front.copy(head, at, 0, take);
      at += take;
      if (take === front.length) this.pending.shift();
      else this.pending[0] = front.subarray(take);
    }
    this.pending.unshift(head);
  }
}

export function decodeRequest(pieces: Frame): FrameRequest {
  const frame = pieces[0]!;
  if (frame.length < REQUEST_HEADER) throw new FrameProtocolError('a request frame shorter than its header');
  const hex = frame.toString('hex', 12, 28);
  return {
    op: frame.readUInt32LE(4),
    id: frame.readUInt32LE(8),
    shardId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    a: frame.readUInt32LE(28),
    b: frame.readUInt32LE(32),
    // A request's payload is at most a small shard: one buffer is cheap.
    payload: pieces.length === 1 ? frame.subarray(REQUEST_HEADER) : Buffer.concat([frame.subarray(REQUEST_HEADER), ...pieces.slice(1)]),
  };
}

export function decodeReply(pieces: Frame): FrameReply {
  const frame = pieces[0]!;
  if (frame.readUInt32LE(4) !== OP_REPLY) throw new FrameProtocolError('expected a reply frame');
  const first = frame.subarray(REPLY_HEADER);
  const payload = first.length > 0 ? [first, ...pieces.slice(1)] : pieces.slice(1);
  return { id: frame.readUInt32LE(8), status: frame.readUInt32LE(12), value: frame.readUInt32LE(16), payload, payloadBytes: payload.reduce((n, p) => n + p.length, 0) };
}
