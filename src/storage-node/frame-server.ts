import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { hasBearer } from '../core/bearer.js';
import {
  decodeRequest,
  encodeReply,
  FRAMED_READ_BYTES,
  FRAMED_SHARD_BYTES,
  MAX_REQUEST_FRAME_BYTES,
  FrameDecoder,
  type Frame,
  FRAMES_PATH,
  FRAMES_UPGRADE,
  OP_GET,
  OP_PUT,
  type FrameRequest,
} from '../node-protocol/frames.js';
import type { Logger } from '../observability/logger.js';
import { STREAM_UPGRADE, streamRefusal } from '../node-protocol/stream-reads.js';
import { serveStreamRead } from './stream-server.js';
import { BufferPool } from '../streams/buffer-pool.js';
import { ShardExistsError, ShardMissingError, type ShardFiles } from './shard-files.js';
import { InsufficientStorageError, isDiskFull, type DiskRoom } from './disk-room.js';

export interface FrameServer {
  /** Ends every framed connection and streamed read (the HTTP server's close does not see upgraded sockets). */
  close(): void;
}

/**
 * The node's end of the framed channel (src/node-protocol/frames.ts): small shard writes and reads, each
 * answered by id as soon as it is done; the replies finished in one wake-up of the event loop go out in one
 * write. The same upgrade listener serves streamed reads (src/node-protocol/stream-reads.ts).
 */
interface FrameDeps {
  shards: ShardFiles;
  log: Logger;
  /** Free space above the node's reserve: framed writes are refused with 507 when it is short. */
  room: DiskRoom;
}

export function attachFrameServer(server: Server, deps: FrameDeps & { secret: string }): FrameServer {
  const sockets = new Set<Duplex>();
  // Long reads (a first stripe's block) reuse their buffers: above 128 KiB each new one is a fresh mapping
  // whose pages fault in one by one (docs/decisions/0002-flat-gateway-memory.md).
  const readBuffers = new BufferPool(FRAMED_READ_BYTES, 8);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (request.headers.upgrade?.toLowerCase() === STREAM_UPGRADE) {
      if (!hasBearer(request.headers.authorization, deps.secret)) return void socket.end(streamRefusal(401, 'Unauthorized', 'the cluster secret is missing or wrong'));
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      serveStreamRead(request, socket as Socket, deps).catch((error: unknown) => {
        deps.log.warn({ err: error }, 'streamed read failed');
        socket.destroy();
      });
      return;
    }
    if (request.url !== FRAMES_PATH || request.headers.upgrade?.toLowerCase() !== FRAMES_UPGRADE) {
      return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    if (!hasBearer(request.headers.authorization, deps.secret)) {
      return void socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${FRAMES_UPGRADE}\r\n\r\n`);
    (socket as Socket).setNoDelay?.(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, head, deps, readBuffers);
  });
  return {
    close() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** An answer's frames, and the read buffer they use, which goes back to the pool once the socket has taken them. */
interface Answer {
  chunks: Buffer[];
  borrowed?: Buffer;
}

function serve(socket: Duplex, head: Buffer, deps: FrameDeps, readBuffers: BufferPool): void {
  const decoder = new FrameDecoder(MAX_REQUEST_FRAME_BYTES);
  let corked = false;
  const reply = ({ chunks, borrowed }: Answer) => {
    const giveBack = () => borrowed && readBuffers.release(borrowed);
    if (socket.destroyed) return giveBack();
    if (!corked) {
      corked = true;
      socket.cork();
      // After this wake-up's poll phase: the answers finished in it (each read is its own file-system call)
      // leave in one write.
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    chunks.forEach((chunk, i) => (i === chunks.length - 1 ? socket.write(chunk, giveBack) : socket.write(chunk)));
  };
  const onData = (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      deps.log.warn({ err: error }, 'framed channel: bad frame; closing the connection');
      return void socket.destroy();
    }
    for (const frame of frames) {
      let request: FrameRequest;
      try {
        request = decodeRequest(frame);
      } catch (error) {
        deps.log.warn({ err: error }, 'framed channel: bad frame; closing the connection');
        return void socket.destroy();
      }
      void answer(request, deps, readBuffers).then(reply);
    }
  };
  if (head.length > 0) onData(head);
  socket.on('data', onData);
}

async function answer(request: FrameRequest, deps: FrameDeps, readBuffers: BufferPool): Promise<Answer> {
  const { id, shardId } = request;
  const error = (status: number, message: string): Answer => ({ chunks: encodeReply(id, status, 0, Buffer.from(message)) });
  try {
    if (request.op === OP_PUT) {
      if (request.payload.length > FRAMED_SHARD_BYTES) return error(413, `a framed shard is at most ${FRAMED_SHARD_BYTES} bytes`);
      const available = deps.room.available();
      if (request.payload.length > available) return error(507, new InsufficientStorageError(available).message);
      // The payload is a view of the frame, which is this request's own: the volume may keep it until written.
      const size = await deps.shards.writeSmall(shardId, [request.payload]);
      return { chunks: encodeReply(id, 201, size) };
    }
    if (request.op === OP_GET) {
      const shard = await deps.shards.openForRead(shardId);
      try {
        const { a: start, b: length } = request;
        if (start + length > shard.size) return error(416, `bytes ${start}+${length} are outside shard ${shardId} (${shard.size} bytes)`);
        if (length > FRAMED_READ_BYTES) return error(413, `a framed read is at most ${FRAMED_READ_BYTES} bytes`);
        if (length <= FRAMED_SHARD_BYTES) return { chunks: encodeReply(id, 200, shard.size, await shard.read(start, length)) };
        const borrowed = readBuffers.acquire();
        try {
          return { chunks: encodeReply(id, 200, shard.size, await shard.read(start, length, borrowed)), borrowed };
        } catch (failure) {
          readBuffers.release(borrowed);
          throw failure;
        }
      } finally {
        // Closed behind the answer, not before it: a read-only descriptor has nothing to flush, and the close
        // is one more trip through the thread pool on the way to a GET's first byte.
        shard.close().catch((failure: unknown) => deps.log.warn({ shard: shardId, err: failure }, 'closing a shard after a framed read failed'));
      }
    }
    return error(400, `unknown operation ${request.op}`);
  } catch (failure) {
    if (failure instanceof ShardMissingError) return error(404, failure.message);
    if (failure instanceof ShardExistsError) return error(409, failure.message);
    if (isDiskFull(failure)) return error(507, `the disk is full: ${(failure as Error).message}`);
    deps.log.warn({ shard: shardId, err: failure }, 'framed shard operation failed');
    return error(500, (failure as Error).message);
  }
}
