import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { isParityShard } from '../../core/erasure-scheme.js';
import { keyFromUrlPath } from '../../core/object-key.js';
import { PATHS_BUCKET, type ObjectRecord } from '../../metadata/records.js';
import type { ObjectServices } from '../../objects/object-services.js';
import { requireAdmin } from '../../http/admin-auth.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { auditEntry } from '../audit-entry.js';
import { refuseOtherMethods } from './job-routes.js';

const PREFIX = '/_objects';

export interface ObjectAdminDeps {
  svc: ObjectServices;
  adminToken: string;
}

/**
 * The operator verbs of the user's SQL interface [001] over HTTP, on path-API keys: EXIST (HEAD),
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

  app.get(`${PREFIX}/*`, async (request) => {
    const object = await liveObject(request);
    const urls = new Map(svc.nodes.list().map((n) => [n.id, n.url]));
    return {
      id: object.id,
      key: object.key,
      size: object.size,
      etag: object.etag,
      sha256: object.sha256,
      contentType: object.contentType,
      created: new Date(object.createdAt).toISOString(),
      // Objects with the same content share one set of shards; this one included.
      sharedBy: await svc.metadata.sharing.sharers(object.id),
      parts: object.parts.map((p) => ({
        partNo: p.partNo,
        offset: p.offset,
        size: p.size,
        scheme: p.scheme,
        shards: p.shards.map((s) => ({
          index: s.index,
          kind: isParityShard(p.scheme, s.index) ? 'parity' : 'data',
          node: s.nodeId,
          nodeUrl: urls.get(s.nodeId) ?? null,
          shardId: s.shardId,
          size: s.size,
        })),
      })),
    };
  });

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
