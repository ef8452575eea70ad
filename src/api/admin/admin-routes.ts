import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, InvalidRequestError, NodeInUseError, NotFoundError } from '../../core/errors.js';
import { fillSpread, joiningNodes } from '../../core/placement.js';
import { describeRedundancy, redundancyWith } from '../../core/redundancy.js';
import type { ErasureScheme } from '../../core/erasure-scheme.js';
import { nodeReportSchema } from '../../node-protocol/protocol.js';
import type { NodeHeartbeats, NodePool } from '../../domain/node-pool.js';
import type { NodeRegistry } from '../../domain/metadata-store.js';
import { acceptRawBodies, readJsonBody } from '../../http/raw-body.js';
import type { AuditLog } from '../../domain/metadata-store.js';
import type { AuditAction } from '../../domain/records.js';
import type { AuditRecorder } from '../../objects/audit-recorder.js';
import { refuseOtherMethods } from './job-routes.js';

const ACTIONS: readonly AuditAction[] = ['create', 'download', 'expire', 'purge', 'abort', 'dedupe'];

export interface AdminDeps {
  registry: NodeRegistry;
  directory: NodePool & NodeHeartbeats;
  audit: AuditLog;
  recorder: AuditRecorder;
  /** Nodes the running rebalance pass moves shards from or to. */
  rebalancing: () => ReadonlySet<string>;
  /** The spread the last rebalance pass could not lower, and why, while the same nodes are up. */
  balanceLimit: (upNodes: readonly string[]) => { spread: number; reason: string } | undefined;
  /** Below the mean fill by more than this share of it, an up node is `joining` (the rebalancer's start). */
  joinThreshold: number;
  /** The scheme of new objects, for the redundancy `/_health/ready` reports. */
  scheme: ErasureScheme;
  /** Shards of live objects on a node: a draining node's progress, and whether a node may be retired. */
  countOnNode: (nodeId: string) => Promise<number>;
  /** The parts whose shards break the failure-domain rule for the live nodes now (the rebalancer spreads them). */
  placementAudit: () => Promise<unknown>;
}

/** A readiness probe that waits longer than this for the metadata store calls it unreachable. */
const READY_METADATA_TIMEOUT_MS = 1000;

class TimeoutError extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Health endpoints under the reserved `_` prefix: public, for supervisors, load balancers and people. */
export function registerHealthRoutes(app: FastifyInstance, deps: AdminDeps): void {
  // Liveness: the process answers. What a supervisor (Docker's HEALTHCHECK) restarts on.
  app.get('/_health/live', async () => ({ status: 'ok' }));

  // Readiness, for load balancers and people: the metadata store answers and enough nodes are up to store an
  // upload; the JSON says which part is not, and how much redundancy new objects get.
  const ready = async (_request: FastifyRequest, reply: FastifyReply) => {
    let metadata: { ok: true } | { ok: false; error: string } = { ok: true };
    try {
      await withTimeout(deps.directory.refresh(), READY_METADATA_TIMEOUT_MS);
    } catch (error) {
      metadata = { ok: false, error: error instanceof TimeoutError ? `no answer within ${READY_METADATA_TIMEOUT_MS} ms` : (error as Error).message };
    }
    const candidates = deps.directory.placementCandidates().filter((n) => n.capacity > n.used);
    const live = candidates.length;
    const redundancy = redundancyWith(deps.scheme, candidates);
    const usable = metadata.ok && redundancy.writable;
    const status = !usable ? 'unavailable' : redundancy.full ? 'ready' : 'degraded';
    const message = metadata.ok ? describeRedundancy(deps.scheme, redundancy) : `the metadata store is unreachable: ${metadata.error}`;
    return reply.code(usable ? 200 : 503).send({
      status,
      metadata,
      nodes: { up: live, needed: deps.scheme.dataShards },
      scheme: { dataShards: deps.scheme.dataShards, parityShards: deps.scheme.parityShards },
      redundancy,
      message,
    });
  };
  app.get('/_health/ready', ready);
  app.get('/_health', ready);
}

/** The operator's system endpoints: the node list and the action log (registered in the admin scope). */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  acceptRawBodies(app);

  app.get('/_nodes', async () => {
    await deps.directory.refresh();
    const nodes = await deps.directory.listLive();
    // A draining node is emptied, not balanced: it is out of the spread.
    const up = nodes.filter((n) => n.state === 'up' && n.capacity > 0 && n.drain === null);
    const remaining = new Map(await Promise.all(nodes.filter((n) => n.drain === 'draining').map(async (n) => [n.id, await deps.countOnNode(n.id)] as const)));
    const limit = deps.balanceLimit(up.map((n) => n.id));
    // Once the rebalancer has found nothing more to move, a node below the mean has joined as far as
    // placement allows: it is no longer "joining", and `balance` says why the spread stays.
    const joining = limit ? new Set<string>() : joiningNodes(up, deps.joinThreshold);
    const rebalancing = deps.rebalancing();
    const activity = (id: string) => (remaining.has(id) ? 'draining' : rebalancing.has(id) ? 'rebalancing' : joining.has(id) ? 'joining' : null);
    return {
      balance: { spread: fillSpread(up), limitedBy: limit?.reason ?? null },
      nodes: nodes.map((n) => ({
        id: n.id,
        url: n.url,
        state: n.state,
        activity: n.state === 'up' ? activity(n.id) : null,
        capacity: n.capacity,
        used: n.used,
        shards: n.shards,
        fsId: n.fsId,
        zone: n.zone,
        machine: n.machine,
        drain: n.drain,
        // A draining node's shards of live objects still to move (0: it may be retired).
        ...(remaining.has(n.id) ? { drainRemaining: remaining.get(n.id) } : {}),
        lastSeen: new Date(n.lastSeen).toISOString(),
      })),
    };
  });

  // Drain: the node takes no new shard and the rebalancer moves its shards off while it runs. Undrain: back
  // in placement. Retire: a node gone for good leaves placement, listings and repair — once nothing needs it.
  const known = async (id: string) => {
    const node = (await deps.registry.list()).find((n) => n.id === id);
    if (!node) throw new NotFoundError(`no node ${id}`);
    if (node.drain === 'retired') throw new InvalidRequestError(`node ${id} is retired`);
    return node;
  };
  const setDrain = async (id: string, drain: 'draining' | null) => {
    await known(id);
    await deps.registry.setDrain(id, drain, Date.now());
    await deps.directory.refresh();
    return { id, drain, remaining: await deps.countOnNode(id) };
  };
  app.post('/_nodes/:id/drain', async (request) => setDrain((request.params as { id: string }).id, 'draining'));
  app.delete('/_nodes/:id/drain', async (request) => setDrain((request.params as { id: string }).id, null));
  app.post('/_nodes/:id/retire', async (request) => {
    const { id } = request.params as { id: string };
    await known(id);
    const shards = await deps.countOnNode(id);
    if (shards > 0) throw new NodeInUseError(id, shards);
    await deps.registry.setDrain(id, 'retired', Date.now());
    await deps.directory.refresh();
    return { id, drain: 'retired' };
  });
  app.post('/_placement-audit', async () => deps.placementAudit());
  refuseOtherMethods(app, '/_placement-audit', ['POST']);
  refuseOtherMethods(app, '/_nodes/:id/drain', ['POST', 'DELETE']);
  refuseOtherMethods(app, '/_nodes/:id/retire', ['POST']);

  app.get('/_log', async (request) => {
    const q = request.query as { object?: string; action?: string; limit?: string };
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidRequestError('limit must be an integer from 1 to 10000');
    if (q.action !== undefined && !ACTIONS.includes(q.action as AuditAction)) {
      throw new InvalidRequestError(`action must be one of ${ACTIONS.join(', ')}`);
    }
    await deps.recorder.flush();
    const entries = await deps.audit.query({ objectId: q.object, action: q.action as AuditAction | undefined, limit });
    return {
      entries: entries.map((e) => ({
        id: e.id, time: new Date(e.at).toISOString(), action: e.action, object: e.objectId, bucket: e.bucket, key: e.key,
        client: e.client, bytes: e.bytes, duration_ms: e.durationMs, result: e.result,
      })),
    };
  });

  refuseOtherMethods(app, '/_log', ['GET']);
}

/** Registration and heartbeat of storage nodes (registered in the node secret's scope). */
export function registerNodeRegistration(
  app: FastifyInstance,
  deps: Pick<AdminDeps, 'directory' | 'registry'> & {
    /** The scheme every node URL must have: `https:` when the cluster speaks TLS (the gateway reads shards only that way). */
    nodeScheme?: string | undefined;
  },
): void {
  acceptRawBodies(app);
  app.post('/_nodes', async (request) => {
    let body: unknown;
    try {
      body = await readJsonBody(request.raw);
    } catch (error) {
      throw new InvalidRequestError(`the node report is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = nodeReportSchema.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(`invalid node report: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const now = Date.now();
    const { id, url, capacity, used, shards, fsId, fsFree, zone, machine } = parsed.data;
    if (deps.nodeScheme !== undefined && new URL(url).protocol !== deps.nodeScheme) {
      throw new InvalidRequestError(`node ${id} reports the URL ${url}, but this cluster reaches its nodes over ${deps.nodeScheme.replace(':', '')} only (start the node with --tls-cert, --tls-key and --tls-ca)`);
    }
    if (deps.directory.isRetired(id)) throw new ForbiddenError(`node ${id} is retired; to join again, start it on an empty directory (a new node id)`);
    const report = { id, url, capacity, used, shards, fsId: fsId ?? null, fsFree: fsFree ?? null, zone: zone ?? null, machine: machine ?? null };
    if (deps.directory.noteHeartbeat(report, now)) await deps.registry.upsert(report, now);
    return { ok: true };
  });
}
