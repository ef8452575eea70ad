import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { parseRangeHeader } from '../../core/byte-range.js';
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from '../../core/content-type.js';
import { NotFoundError } from '../../core/errors.js';
import { keyFromUrlPath } from '../../core/object-key.js';
import { PATHS_BUCKET, type ObjectRecord } from '../../metadata/records.js';
import type { ObjectServices } from '../../objects/object-services.js';
import { putObject } from '../../objects/put-object.js';
import { readObject, responseLength } from '../../objects/read-object.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { clientSignal } from '../../http/client-signal.js';
import { declaredLength } from '../../http/declared-length.js';

/** Objects never change once written, so caches may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The write-once path API of the user's second document: POST creates, GET/HEAD read, a second POST
 * to the same path is 405, the query string is ignored, there is no public delete.
 */
export function registerPathRoutes(app: FastifyInstance, svc: ObjectServices): void {
  acceptRawBodies(app);

  app.post('/*', async (request, reply) => {
    const key = keyFromUrlPath(request.url);
    const object = await putObject(svc, {
      bucket: PATHS_BUCKET,
      key,
      body: countBytes(request),
      declaredSize: declaredLength(request.headers),
      contentType: contentTypeFor(key, request.headers['content-type']),
      signal: clientSignal(request, reply),
    });
    return reply
      .code(201)
      .header('location', `/${encodeKey(key)}`)
      .header('etag', etagOf(object))
      .send({ key, size: object.size, etag: object.etag, sha256: object.sha256 });
  });

  const read = async (request: FastifyRequest, reply: FastifyReply, head: boolean) => {
    const key = keyFromUrlPath(request.url);
    const object = await svc.metadata.objects.findLive(PATHS_BUCKET, key);
    if (!object) throw new NotFoundError(`no object at '${key}'`);
    const etag = etagOf(object);
    reply
      .header('etag', etag)
      .header('last-modified', new Date(object.createdAt).toUTCString())
      .header('cache-control', IMMUTABLE)
      .header('accept-ranges', 'bytes')
      .header('content-type', object.contentType ?? DEFAULT_CONTENT_TYPE);
    if (notModified(request, object, etag)) return reply.code(304).send();
    const range = parseRangeHeader(request.headers.range, object.size);
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
    const length = responseLength(object, range);
    reply.header('content-length', length);
    if (head || length === 0) return reply.send();
    const signal = clientSignal(request, reply);
    const body = readObject(svc, object, range, signal);
    // Read the first stripe before answering, so a dead object is a clean 503, not a truncated 200.
    const first = await body.next();
    request.transferBytes = length;
    return reply.send(Readable.from(prepend(first, body), { objectMode: false }));
  };

  app.get('/*', (request, reply) => read(request, reply, false));
  app.head('/*', (request, reply) => read(request, reply, true));
}

const etagOf = (object: ObjectRecord): string => `"${object.etag}"`;

const encodeKey = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

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

async function* prepend(first: IteratorResult<Buffer>, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    if (!first.done) yield first.value;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

async function* countBytes(request: FastifyRequest): AsyncGenerator<Uint8Array> {
  for await (const chunk of request.raw as AsyncIterable<Uint8Array>) {
    request.transferBytes += chunk.length;
    yield chunk;
  }
}

