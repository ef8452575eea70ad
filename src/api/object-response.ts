import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseRangeHeader, type ByteRange } from '../core/byte-range.js';
import { DEFAULT_CONTENT_TYPE } from '../core/content-type.js';
import type { ObjectRecord } from '../domain/records.js';
import type { ObjectStore } from '../objects/object-store.js';
import { responseLength } from '../objects/object-store.js';
import { clientSignal } from '../http/client-signal.js';
import { writePooled } from '../http/pooled-writer.js';
import { callerOf } from './caller.js';

export interface ObjectResponseOptions {
  readonly cacheControl?: string;
  /** A Content-Disposition header value, if the API sends one. */
  readonly disposition?: string;
  /** More response headers (S3: stored metadata, `response-*` overrides); they win over the defaults. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Headers that describe the whole body (S3 checksums): sent only with a 200 that carries all of it. */
  readonly wholeBodyHeaders?: Readonly<Record<string, string>>;
  /** The bytes to send, chosen by the API (S3's `partNumber`) instead of a Range header: answered 206. */
  readonly range?: ByteRange;
}

export const etagOf = (object: ObjectRecord): string => `"${object.etag}"`;

/**
 * Answers GET or HEAD for a stored object: validators, conditional requests (304), a single byte range
 * (206/416), and the bytes streamed from the shards. A completed or interrupted GET is logged as a
 * `download` with the bytes that went out.
 */
export async function sendObject(
  objects: ObjectStore,
  request: FastifyRequest,
  reply: FastifyReply,
  object: ObjectRecord,
  head: boolean,
  options: ObjectResponseOptions,
): Promise<FastifyReply> {
  const etag = etagOf(object);
  reply
    .header('etag', etag)
    .header('last-modified', new Date(object.createdAt).toUTCString())
    .header('accept-ranges', 'bytes')
    .header('content-type', object.contentType ?? DEFAULT_CONTENT_TYPE);
  if (options.cacheControl) reply.header('cache-control', options.cacheControl);
  if (options.disposition) reply.header('content-disposition', options.disposition);
  if (options.headers) reply.headers(options.headers);
  if (notModified(request, object, etag)) return reply.code(304).send();
  const range = options.range ?? parseRangeHeader(request.headers.range, object.size);
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
  else if (options.wholeBodyHeaders) reply.headers(options.wholeBodyHeaders);
  const length = responseLength(object, range);
  reply.header('content-length', length);
  if (head) return reply.send();

  const started = Date.now();
  let sent = 0;
  reply.raw.once('close', () => {
    objects.recordDownload(callerOf(request), object, sent, Date.now() - started, sent === length);
  });
  if (length === 0) return reply.send();
  const lookupMs = reply.elapsedTime;
  const timing = () => `lookup;dur=${lookupMs.toFixed(1)}, first-block;dur=${(reply.elapsedTime - lookupMs).toFixed(1)}`;
  const small = await objects.readSmall(object, range);
  if (small) {
    request.transferBytes = sent = length;
    return reply.header('server-timing', timing()).send(small.length === 1 ? small[0] : Buffer.concat(small, length));
  }
  const body = objects.read(object, range, clientSignal(request, reply));
  // The first verified block before answering, so an object the nodes cannot serve is a clean 503, not a
  // truncated 200 (the read refuses one whose shards are mostly on nodes known to be down).
  const first = await body.next();
  // Where the time to the first byte went (W3C Server Timing): shown by browsers' developer tools, and
  // broken down by the benchmark.
  reply.header('server-timing', timing());
  async function* all(): AsyncGenerator<Buffer> {
    if (!first.done) yield first.value;
    yield* body;
  }
  // From here the response is written by hand, through recycled buffers (see writePooled).
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string | number>);
  try {
    await writePooled(raw, countedAs(all(), (n) => (request.transferBytes = sent += n)));
    raw.end();
  } catch (error) {
    // Headers are out: the only honest signal left is to cut the connection short.
    request.log.warn({ err: (error as Error).message, object: object.id }, 'download interrupted');
    raw.destroy();
  } finally {
    await body.return(undefined);
  }
  return reply;
}

async function* countedAs(chunks: AsyncIterable<Buffer>, count: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    count(chunk.length);
    yield chunk;
  }
}

function notModified(request: FastifyRequest, object: ObjectRecord, etag: string): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) {
    return inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  }
  const ims = request.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Math.floor(object.createdAt / 1000) * 1000 <= since;
  }
  return false;
}
