import { createHash, type Hash } from 'node:crypto';
import type { ChunkVerifier } from './sigv4.js';

export class AwsChunkedError extends Error {
  /** `signature`: a chunk or the trailer failed its signature; `format`: the body is not valid aws-chunked. */
  constructor(
    message: string,
    readonly kind: 'signature' | 'format' = 'format',
  ) {
    super(message);
  }
}

export interface AwsChunkedOptions {
  /** Checks `x-amz-trailer-signature` over the trailing headers (`name:value\n` each), for signed bodies. */
  readonly verifyTrailer?: (canonicalTrailers: string, signature: string) => boolean;
  /** Receives the trailing headers (lower-case names), e.g. `x-amz-checksum-crc32`, before the body ends. */
  readonly onTrailers?: (trailers: Record<string, string>) => void;
}

const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');

/**
 * Decodes an `aws-chunked` body: `hex-size;chunk-signature=sig\r\n` (signed, `STREAMING-AWS4-HMAC-SHA256-
 * PAYLOAD[-TRAILER]`) or `hex-size\r\n` (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, when `verify` is undefined),
 * the data, `\r\n`, … up to a zero-size chunk, trailing headers and an empty line.
 * Data is passed on as it arrives, never more than one network chunk held, while its hash is computed;
 * the chunk's signature is checked at its end and a mismatch throws — the upload then fails before
 * anything is committed, so unverified bytes never become an object. Trailing headers are handed to
 * `onTrailers` (after their signature is checked, for signed bodies) before the generator finishes.
 */
export async function* decodeAwsChunked(source: AsyncIterable<Uint8Array>, verify: ChunkVerifier | undefined, options: AwsChunkedOptions = {}): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let state: 'header' | 'data' | 'data-end' | 'trailer' | 'done' = 'header';
  let remaining = 0;
  let signature = '';
  let hash: Hash = createHash('sha256');
  const trailers: [string, string][] = [];
  let trailerSignature: string | undefined;
  const header = verify ? /^([0-9a-fA-F]{1,13});chunk-signature=([0-9a-f]{64})$/ : /^([0-9a-fA-F]{1,13})(?:;[^\r\n]*)?$/;

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
        const match = header.exec(text);
        if (!match) throw new AwsChunkedError(`malformed aws-chunked header '${text.slice(0, 100)}'`);
        remaining = Number.parseInt(match[1]!, 16);
        signature = match[2] ?? '';
        if (verify) hash = createHash('sha256');
        if (remaining === 0) {
          if (verify && !verify(hash.digest('hex'), signature)) throw new AwsChunkedError('the final chunk signature does not match', 'signature');
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
        if (verify) hash.update(take);
        yield take;
        if (remaining === 0) {
          if (verify && !verify(hash.digest('hex'), signature)) throw new AwsChunkedError('a chunk signature does not match', 'signature');
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
        else {
          const at = text.indexOf(':');
          if (at <= 0) throw new AwsChunkedError(`malformed aws-chunked trailer '${text.slice(0, 100)}'`);
          const name = text.slice(0, at).trim().toLowerCase();
          const value = text.slice(at + 1).trim();
          if (name === 'x-amz-trailer-signature') trailerSignature = value;
          else if (trailers.length < 16) trailers.push([name, value]);
        }
        progress = true;
      }
    }
  }
  // Some clients end right after the final chunk's header.
  if (state === 'trailer' && pending.length === 0) state = 'done';
  if (state !== 'done') throw new AwsChunkedError('the aws-chunked body ended before its final chunk');
  if (verify && trailers.length > 0) {
    const canonical = trailers.map(([n, v]) => `${n}:${v}\n`).join('');
    if (!trailerSignature || !options.verifyTrailer?.(canonical, trailerSignature)) {
      throw new AwsChunkedError('the trailing headers are not signed, or their signature does not match', 'signature');
    }
  }
  options.onTrailers?.(Object.fromEntries(trailers));
}
