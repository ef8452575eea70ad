/**
 * The node protocol's framed channel for small shards (docs/NODE-PROTOCOL.md, "Framed channel"): after an
 * HTTP upgrade of `GET /v1/frames`, one kept connection per gateway and node carries many small shard
 * writes and reads as binary frames, answered by request id in any order. An HTTP exchange costs ~100 µs of
 * CPU on each side here; a frame a few µs, and the frames of one event-loop turn go out in one write.
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
/** Shards at most this big go through frames; the rest stream over HTTP. */
export const FRAMED_SHARD_BYTES = 64 * 1024;
/** A frame claiming more than this is a protocol error (the connection is dropped). */
export const MAX_FRAME_BYTES = FRAMED_SHARD_BYTES + 4096;

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
  payload: Buffer;
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

/** Cuts a byte stream into whole frames, however the network split it. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The frames completed by `chunk` (their buffers are the frame's own: safe to keep). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.pendingBytes >= 4) {
      const head = this.pending[0]!.length >= 4 ? this.pending[0]! : this.gather();
      const length = head.readUInt32LE(0);
      if (length > MAX_FRAME_BYTES || length < REPLY_HEADER - 4) throw new FrameProtocolError(`a frame of ${length} bytes`);
      if (this.pendingBytes < 4 + length) break;
      const whole = this.pending[0]!.length >= 4 + length ? this.pending[0]! : this.gather();
      frames.push(whole.subarray(0, 4 + length));
      const rest = whole.subarray(4 + length);
      this.pending.shift();
      if (rest.length > 0) this.pending.unshift(rest);
      this.pendingBytes -= 4 + length;
    }
    return frames;
  }

  private gather(): Buffer {
    const all = Buffer.concat(this.pending);
    this.pending = [all];
    return all;
  }
}

export function decodeRequest(frame: Buffer): FrameRequest {
  if (frame.length < REQUEST_HEADER) throw new FrameProtocolError('a request frame shorter than its header');
  const hex = frame.toString('hex', 12, 28);
  return {
    op: frame.readUInt32LE(4),
    id: frame.readUInt32LE(8),
    shardId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    a: frame.readUInt32LE(28),
    b: frame.readUInt32LE(32),
    payload: frame.subarray(REQUEST_HEADER),
  };
}

export function decodeReply(frame: Buffer): FrameReply {
  if (frame.readUInt32LE(4) !== OP_REPLY) throw new FrameProtocolError('expected a reply frame');
  return { id: frame.readUInt32LE(8), status: frame.readUInt32LE(12), value: frame.readUInt32LE(16), payload: frame.subarray(REPLY_HEADER) };
}
