import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../../core/errors.js';
import { nodeReportSchema } from '../../node-protocol/protocol.js';
import type { NodeDirectory } from '../../shard-stores/node-directory.js';
import type { NodeRegistry } from '../../metadata/metadata-store.js';
import { acceptRawBodies, readJsonBody } from '../../http/raw-body.js';
import { requireBearer } from '../../http/bearer-auth.js';

export interface AdminDeps {
  registry: NodeRegistry;
  directory: NodeDirectory;
  adminToken: string;
  nodeSecret: string;
}

/** System endpoints under the reserved `_` prefix. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  acceptRawBodies(app);

  app.get('/_health', async () => ({ status: 'ok' }));

  app.get('/_nodes', async (request) => {
    requireBearer(request, deps.adminToken, 'admin token');
    await deps.directory.refresh();
    return {
      nodes: (await deps.directory.listLive()).map((n) => ({
        id: n.id,
        url: n.url,
        state: n.state,
        capacity: n.capacity,
        used: n.used,
        shards: n.shards,
        lastSeen: new Date(n.lastSeen).toISOString(),
      })),
    };
  });

  // Registration and heartbeat of storage nodes.
  app.post('/_nodes', async (request) => {
    requireBearer(request, deps.nodeSecret, 'node secret');
    let body: unknown;
    try {
      body = await readJsonBody(request.raw);
    } catch (error) {
      throw new InvalidRequestError(`the node report is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = nodeReportSchema.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(`invalid node report: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const now = Date.now();
    const { id, url, capacity, used, shards } = parsed.data;
    const report = { id, url, capacity, used, shards };
    if (deps.directory.noteHeartbeat(report, now)) await deps.registry.upsert(report, now);
    return { ok: true };
  });
}
