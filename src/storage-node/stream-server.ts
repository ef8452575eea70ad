import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { parseRangeHeader } from '../core/byte-range.js';
import { RangeNotSatisfiableError } from '../core/errors.js';
import { SHARD_ID_RE } from '../node-protocol/protocol.js';
import { STREAM_ACCEPTED, streamRefusal } from '../node-protocol/stream-reads.js';
import type { Logger } from '../observability/logger.js';
import { sendShardRange } from './read-pieces.js';
import { ShardMissingError, type ShardFiles } from './shard-files.js';

const SHARD_PATH = /^\/v1\/shards\/([^/?#]+)$/;

/**
 * The node's end of a streamed read (src/node-protocol/stream-reads.ts): the caller has checked the secret.
 * Answers the range's bytes after the 101 and closes the connection, or refuses with a status and reason.
 */
export async function serveStreamRead(request: IncomingMessage, socket: Socket, deps: { shards: ShardFiles; log: Logger }): Promise<void> {
  const refuse = (status: number, reason: string, message: string) => void socket.end(streamRefusal(status, reason, message));
  const id = SHARD_PATH.exec(request.url ?? '')?.[1];
  if (!id || !SHARD_ID_RE.test(id)) return refuse(400, 'Bad Request', 'a streamed read names a shard: /v1/shards/{lower-case GUID}');
  let shard;
  try {
    shard = await deps.shards.openForRead(id);
  } catch (error) {
    if (error instanceof ShardMissingError) return refuse(404, 'Not Found', error.message);
    deps.log.warn({ shard: id, err: error }, 'streamed read: could not open the shard');
    return refuse(500, 'Internal Server Error', (error as Error).message);
  }
  try {
    let range;
    try {
      range = parseRangeHeader(request.headers.range, shard.size);
    } catch (error) {
      if (error instanceof RangeNotSatisfiableError) return refuse(416, 'Range Not Satisfiable', error.message);
      throw error;
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : shard.size;
    socket.setNoDelay(true);
    socket.write(STREAM_ACCEPTED);
    // A failure cuts the connection, which the reader sees as a short read.
    await sendShardRange(socket, shard, start, length, (error) => deps.log.warn({ shard: id, err: error.message }, 'streamed read interrupted'));
  } finally {
    await shard.close();
  }
}
