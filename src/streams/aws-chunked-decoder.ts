import { createHash, type Hash } from 'node:crypto';
import type { ChunkVerifier } from '../core/sigv4.js';

export class AwsChunkedError extends Error {}

const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');

/**
 * Decodes an `aws-chunked` body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): `hex-size;chunk-signature=sig\r\n`,
 * the data, `\r\n`, … up to a zero-size chunk and an empty line (trailing headers before it are skipped).
 * Data is passed on as it arrives, never more than one network chunk held, while its hash is computed;
 * the chunk's signature is checked at its end and a mismatch throws — the upload then fails before
 * anything is committed, so unverified bytes never become an object.
 */
export async function* decodeAwsChunked(source: AsyncIterable<Uint8Array>, verify: ChunkVerifier): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let state: 'header' | 'data' | 'data-end' | 'trailer' | 'done' = 'header';
  let remaining = 0;
  let signature = '';
  let hash: Hash = createHash('sha256');

  /** The next CRLF-terminated line, or undefined until it has arrived. */
  const line = (): string | undefined => {
    const end = pending.indexOf(CRLF);
    if (end === -1) {
      if (pending.length > MAX_LINE) throw new AwsChunkedError('an aws-chunked header line is too long');
      return undefined;
    }
    const text = pending.subarray(0, end).toString('latin1');
    pending = pending.subarray(end + 2);
    return text;
  };

  for await (const piece of source) {
    pending = pending.length === 0 ? Buffer.from(piece) : Buffer.concat([pending, piece]);
    let progress = true;
    while (progress && state !== 'done') {
      progress = false;
      if (state === 'header') {
        const text = line();
        if (text === undefined) break;
        const match = /^([0-9a-fA-F]{1,13});chunk-signature=([0-9a-f]{64})$/.exec(text);
        if (!match) throw new AwsChunkedError(`malformed aws-chunked header '${text.slice(0, 100)}'`);
        remaining = Number.parseInt(match[1]!, 16);
        signature = match[2]!;
        hash = createHash('sha256');
        if (remaining === 0) {
          if (!verify(hash.digest('hex'), signature)) throw new AwsChunkedError('the final chunk signature does not match');
          state = 'trailer';
        } else {
          state = 'data';
        }
        progress = true;
      } else if (state === 'data') {
        if (pending.length === 0) break;
        const take = pending.subarray(0, Math.min(remaining, pending.length));
        pending = pending.subarray(take.length);
        remaining -= take.length;
        hash.update(take);
        yield take;
        if (remaining === 0) {
          if (!verify(hash.digest('hex'), signature)) throw new AwsChunkedError('a chunk signature does not match');
          state = 'data-end';
        }
        progress = true;
      } else if (state === 'data-end') {
        if (pending.length < 2) break;
        if (pending[0] !== 13 || pending[1] !== 10) throw new AwsChunkedError('an aws-chunked chunk is longer than its header says');
        pending = pending.subarray(2);
        state = 'header';
        progress = true;
      } else if (state === 'trailer') {
        const text = line();
        if (text === undefined) break;
        if (text === '') state = 'done';
        progress = true;
      }
    }
  }
  // Some clients end right after the final chunk's header.
  if (state === 'trailer' && pending.length === 0) state = 'done';
  if (state !== 'done') throw new AwsChunkedError('the aws-chunked body ended before its final chunk');
}
