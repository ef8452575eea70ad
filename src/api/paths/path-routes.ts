import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contentTypeFor } from '../../core/content-type.js';
import { MethodNotAllowedError, NotFoundError } from '../../core/errors.js';
import { keyFromUrlPath } from '../../domain/object-key.js';
import { PATHS_BUCKET } from '../../domain/records.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { clientSignal } from '../../http/client-signal.js';
import { declaredLength } from '../../http/declared-length.js';
import { etagOf, sendObject } from '../object-response.js';
import { countedBody } from '../counted-body.js';
import { callerOf } from '../caller.js';

/** Objects never change once written, so caches may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The write-once path API: POST creates, GET/HEAD read, a second POST
 * to the same path is 405, the query string is ignored, there is no public delete.
 */
/** Bytes to answer a GET of a key that holds no object (the browser's `/favicon.ico`), instead of 404. */
export type PathFallback = (key: string) => { readonly type: string; readonly body: Buffer } | undefined;

export function registerPathRoutes(app: FastifyInstance, objects: ObjectStore, fallback: PathFallback = () => undefined): void {
  acceptRawBodies(app);

  app.post('/*', async (request, reply) => {
    const key = keyFromUrlPath(request.url);
    const { object } = await objects.put({
      bucket: PATHS_BUCKET,
      key,
      body: countedBody(request),
      declaredSize: declaredLength(request.headers),
      contentType: contentTypeFor(key, request.headers['content-type']),
      signal: clientSignal(request, reply),
    }, callerOf(request));
    return reply
      .code(201)
      .header('location', `/${key.split('/').map(encodeURIComponent).join('/')}`)
      .header('etag', etagOf(object))
      .send({ key, size: object.size, etag: object.etag, sha256: object.sha256 });
  });

  const read = async (request: FastifyRequest, reply: FastifyReply, head: boolean) => {
    const key = keyFromUrlPath(request.url);
    const object = await objects.findLive(PATHS_BUCKET, key);
    if (!object) {
      // A stored object always wins; the fallback only fills a gap, and is never cached for long.
      const stand = fallback(key);
      if (stand) return reply.header('cache-control', 'public, max-age=3600').type(stand.type).send(head ? undefined : stand.body);
      throw new NotFoundError(`no object at '${key}'`);
    }
    return sendObject(objects, request, reply, object, head, { cacheControl: IMMUTABLE });
  };

  app.get('/*', (request, reply) => read(request, reply, false));
  app.head('/*', (request, reply) => read(request, reply, true));
  // Objects are write-once and the path API has no delete: a PUT, PATCH or DELETE is a method this
  // resource does not allow (405 with Allow), not a missing route.
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (request) => {
      const key = keyFromUrlPath(request.url);
      throw new MethodNotAllowedError(request.method, `/${key}`, ['GET', 'HEAD', 'POST']);
    },
  });
}
