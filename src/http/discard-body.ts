import type { IncomingMessage } from 'node:http';

/** At most this much of a refused body is read and dropped; past it the connection is closed instead. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

const discarding = new WeakSet<IncomingMessage>();

/**
 * Reads and drops what is left of a body the server has refused mid-way (a browser's form upload past its
 * policy's size), so the client, still sending, reads the answer rather than meeting a reset, and the
 * connection stays usable. A body that goes on past DISCARD_LIMIT has its connection closed.
 */
export function discardRest(request: IncomingMessage): void {
  if (request.complete || request.destroyed) return;
  discarding.add(request);
  let dropped = 0;
  request.unpipe();
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_LIMIT) request.socket.destroy();
  });
  request.resume();
}

/** Whether discardRest is reading the rest of this body (so its connection need not be closed). */
export const isBeingDiscarded = (request: IncomingMessage): boolean => discarding.has(request);
