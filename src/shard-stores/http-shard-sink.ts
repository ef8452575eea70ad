import type { ClientRequest } from 'node:http';
import type { PeerTransport } from '../platform/peer-transport.js';
import { writeInPieces } from '../platform/tls-writes.js';
import { ShardUnavailableError } from '../core/errors.js';
import { nodeRoutes } from '../node-protocol/protocol.js';
import type { Socket } from 'node:net';
import type { ShardSink } from '../domain/shard-store.js';

/**
 * A shard upload: `ClientRequest.write(chunk, callback)` tells exactly when a chunk has left the
 * process, which is what lets the gateway recycle its stripe buffers instead of allocating new ones
 * (the key to flat memory).
 */
/** A shard upload with no byte accepted by the node (or, after the last byte, no answer) for this long fails. */
const STALL_MS = 30_000;

export function openHttpShardSink(transport: PeerTransport, baseUrl: URL, auth: string, shardId: string, onWritten: (bytes: number) => void = () => undefined): ShardSink {
  const req: ClientRequest = transport.request({
    agent: transport.agent,
    hostname: baseUrl.hostname,
    port: baseUrl.port,
    method: 'PUT',
    path: nodeRoutes.shard(shardId),
    headers: { authorization: auth, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
  });
  req.on('socket', noDelay);
  const where = `node ${baseUrl.origin} shard ${shardId}`;
  const encrypted = baseUrl.protocol === 'https:';
  // Every pending write fails with the request: a write callback must never be what an upload waits
  // on forever (a node killed at the wrong moment, a node that stops reading).
  const pending = new Set<(error: Error) => void>();
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const reject of pending) reject(failure);
    pending.clear();
  };
  req.setTimeout(STALL_MS, () => req.destroy(new Error(`no progress for ${STALL_MS / 1000} s`)));
  // Set as the answer settles, not a microtask later: the request's 'close' comes first, and must not
  // build an error (with its stack) for an exchange that already succeeded.
  let settled = false;
  const response = new Promise<number>((resolveAnswer, rejectAnswer) => {
    const resolve = (size: number) => {
      settled = true;
      resolveAnswer(size);
    };
    const reject = (error: Error) => {
      settled = true;
      rejectAnswer(error);
    };
    req.on('error', (error) => {
      const failed = new ShardUnavailableError(`${where}: ${error.message}`, { cause: error });
      failAll(failed);
      reject(failed);
    });
    req.on('close', () => {
      if (settled) return;
      const failed = new ShardUnavailableError(`${where}: the connection closed before the node answered`);
      failAll(failed);
      reject(failed);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 201) {
          // A node that refuses before the body is in (507: its disk is full) answers at once: the writes
          // still queued fail now, not when a timeout notices that nothing moves.
          const refused = new ShardUnavailableError(`${where} refused: ${res.statusCode} ${text}`);
          failAll(refused);
          reject(refused);
          req.destroy();
          return;
        }
        try {
          resolve((JSON.parse(text) as { size: number }).size);
        } catch {
          reject(new ShardUnavailableError(`${where} answered garbage: ${text.slice(0, 200)}`));
        }
      });
    });
  });
  // An upload aborted before end() never asks for the answer: its failure must not be an unhandled rejection.
  response.catch(() => undefined);

  // The writes of one event-loop turn (a block and its checksum) leave in one writev: one TCP segment train
  // and one wake-up of the node instead of two, the second for 4 bytes. A corked chunked request holds its
  // chunks itself and, on uncork, uncorks its socket *before* it frames them (size line, CRLF, data, CRLF),
  // so each piece went out in a write(2) of its own (strace: ~5.6 writes per block). Keeping the socket
  // corked across the request's uncork sends the whole train in one writev.
  let corked = false;
  const uncork = () => {
    corked = false;
    const socket = req.socket;
    socket?.cork();
    req.uncork();
    socket?.uncork();
  };
  return {
    write(chunk) {
      return new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        if (!corked) {
          corked = true;
          req.cork();
          process.nextTick(uncork);
        }
        pending.add(reject);
        const taken = (error?: Error | null) => {
          pending.delete(reject);
          if (error) return reject(new ShardUnavailableError(`${where}: ${error.message}`));
          onWritten(chunk.length);
          resolve();
        };
        // Over TLS, pieces the TLS layer allocates cheaply (src/platform/tls-writes.ts).
        if (encrypted) writeInPieces(req, chunk, taken);
        else req.write(chunk, taken);
      });
    },
    end() {
      req.end();
      return response;
    },
    abort(reason) {
      // Once the node has answered, the socket is back in the keep-alive pool: leave it alone.
      if (settled) return;
      req.destroy(reason instanceof Error ? reason : new Error('upload aborted'));
    },
  };
}

/** Small requests and answers must not wait for delayed ACKs (Nagle): every node socket sends at once. */
export const noDelay = (socket: Socket): void => {
  socket.setNoDelay(true);
};
