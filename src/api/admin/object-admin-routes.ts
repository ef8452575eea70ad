import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { keyFromUrlPath } from '../../core/object-key.js';
import { PATHS_BUCKET, type ObjectRecord } from '../../metadata/records.js';
import type { ObjectServices } from '../../objects/object-services.js';
import { requireAdmin } from '../../http/admin-auth.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { auditEntry } from '../audit-entry.js';
import { refuseOtherMethods } from './job-routes.js';
import { objectDetails } from './object-details.js';

const PREFIX = '/_objects';

export interface ObjectAdminDeps {
  svc: ObjectServices;
  adminToken: string;
}

/**
 * The operator verbs of the path store's SQL interface (import, exist, export, delete, deduplicate) over HTTP, on path-API keys: EXIST (HEAD),
 * the object's record with its shard map (GET), DELETE (marks it for the cleaner). DEDUPLICATE is the
 * `/_dedupe` job (job-routes.ts).
 */
export function registerObjectAdminRoutes(app: FastifyInstance, deps: ObjectAdminDeps): void {
  acceptRawBodies(app);
  const { svc } = deps;
  const liveObject = async (request: FastifyRequest): Promise<ObjectRecord> => {
    requireAdmin(request, deps.adminToken);
    const key = keyFromUrlPath(request.url.slice(PREFIX.length));
    const object = await svc.metadata.objects.findLive(PATHS_BUCKET, key);
    if (!object) throw new NotFoundError(`no object at '${key}'`);
    return object;
  };

  app.head(`${PREFIX}/*`, async (request, reply) => {
    await liveObject(request);
    return reply.code(200).send();
  });

  app.get(`${PREFIX}/*`, async (request) => objectDetails(svc, await liveObject(request)));

  refuseOtherMethods(app, `${PREFIX}/*`, ['GET', 'HEAD', 'DELETE'], deps.adminToken);

  app.delete(`${PREFIX}/*`, async (request, reply) => {
    const started = Date.now();
    const object = await liveObject(request);
    // Lost a race with another delete: the object is gone either way.
    if (!(await svc.metadata.objects.expire(object.id, Date.now()))) throw new NotFoundError(`no object at '${object.key}'`);
    svc.audit.record(auditEntry(request, 'expire', object, 0, Date.now() - started, 'ok'));
    return reply.code(204).send();
  });
}
