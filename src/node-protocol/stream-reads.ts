/**
 * The node protocol's streamed reads (docs/NODE-PROTOCOL.md, "Streamed reads"): a long shard read on a
 * connection of its own, which the reader takes from the kernel straight into its block buffers. The request
 * is the shard's HTTP GET with `Upgrade: shardstore-stream/1` (and a `Range`); the node answers
 * `101 Switching Protocols` and then exactly the range's bytes, and closes the connection. A refusal is an
 * ordinary HTTP answer carrying `Shardstore-Stream: refused` and the reason as text; an answer without that
 * header comes from a node that does not know streamed reads.
 */
export const STREAM_UPGRADE = 'shardstore-stream/1';
export const STREAM_REFUSAL_HEADER = 'shardstore-stream';

/** The request that opens a streamed read of bytes [start, end] of a shard at `path`. */
export function streamReadRequest(path: string, host: string, authorization: string, range: { start: number; end: number }): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${authorization}\r\nConnection: Upgrade\r\n` +
    `Upgrade: ${STREAM_UPGRADE}\r\nRange: bytes=${range.start}-${range.end}\r\n\r\n`
  );
}

/** The node's acceptance: the range's bytes follow it. */
export const STREAM_ACCEPTED = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_UPGRADE}\r\n\r\n`;

/** The node's refusal of a streamed read, with its reason. */
export function streamRefusal(status: number, reason: string, message: string): string {
  return (
    `HTTP/1.1 ${status} ${reason}\r\n${STREAM_REFUSAL_HEADER}: refused\r\nConnection: close\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`
  );
}

/** An answer's head as the reader parsed it. */
export interface StreamHead {
  status: number;
  /** Bytes of the head, its blank line included: what follows is the body. */
  headBytes: number;
  /** Whether the answer is a streamed read's: a 101 naming this protocol, or a refusal that says it is one. */
  fromStreamNode: boolean;
}

/** The head of an answer in `bytes`, or undefined while its blank line has not arrived. */
export function parseStreamHead(bytes: Buffer): StreamHead | undefined {
  const end = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) return undefined;
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim().toLowerCase());
  }
  const code = status ? Number(status[1]) : 0;
  const fromStreamNode = code === 101 ? headers.get('upgrade') === STREAM_UPGRADE : headers.get(STREAM_REFUSAL_HEADER) === 'refused';
  return { status: code, headBytes: end + 4, fromStreamNode };
}
