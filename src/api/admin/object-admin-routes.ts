import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { keyFromUrlPath } from '../../domain/object-key.js';
import { PATHS_BUCKET, type ObjectRecord } from '../../domain/records.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { callerOf } from '../caller.js';
import { refuseOtherMethods } from './job-routes.js';

const PREFIX = '/_objects';

export interface ObjectAdminDeps {
  objects: ObjectStore;
}

/**
 * The operator verbs of the path store's SQL interface (import, exist, export, delete, deduplicate) over HTTP, on path-API keys: EXIST (HEAD),
 * the object's record with its shard map (GET), DELETE (marks it for the cleaner). DEDUPLICATE is the
 * `/_dedupe` job (job-routes.ts).
 */
export function registerObjectAdminRoutes(app: FastifyInstance, deps: ObjectAdminDeps): void {
  acceptRawBodies(app);
  const { objects } = deps;
  const liveObject = async (request: FastifyRequest): Promise<ObjectRecord> => {
    const key = keyFromUrlPath(request.url.slice(PREFIX.length));
    const object = await objects.findLive(PATHS_BUCKET, key);
    if (!object) throw new NotFoundError(`no object at '${key}'`);
    return object;
  };

  app.head(`${PREFIX}/*`, async (request, reply) => {
    await liveObject(request);
    return reply.code(200).send();
  });

  app.get(`${PREFIX}/*`, async (request) => objects.describe(await liveObject(request)));

  refuseOtherMethods(app, `${PREFIX}/*`, ['GET', 'HEAD', 'DELETE']);

  // Live objects and bytes over every namespace, and the bytes deduplication saves.
  app.get('/_stats', async () => objects.totals());
  refuseOtherMethods(app, '/_stats', ['GET']);

  app.delete(`${PREFIX}/*`, async (request, reply) => {
    const object = await liveObject(request);
    // Lost a race with another delete: the object is gone either way.
    if (!(await objects.expire(object, callerOf(request)))) throw new NotFoundError(`no object at '${object.key}'`);
    return reply.code(204).send();
  });
}
