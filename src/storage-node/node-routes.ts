import type { Registry } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { hasBearer, nodeRoutes, rebuildRequestSchema, SHARD_ID_RE, type NodeReport, type RebuildRequest } from '../node-protocol/protocol.js';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import { acceptRawBodies, readJsonBody } from '../http/raw-body.js';
import { parseRangeHeader } from '../core/byte-range.js';
import { RangeNotSatisfiableError } from '../core/errors.js';
import { ShardExistsError, ShardMissingError, type ShardFiles, type ShardReader } from './shard-files.js';
import { sendShardRange } from './read-pieces.js';
import { InsufficientStorageError, isDiskFull, type DiskRoom } from './disk-room.js';

/** Reads up to this many bytes are answered from one buffer rather than streamed. */
const SMALL_READ = 256 * 1024;

export interface NodeRouteDeps {
  shards: ShardFiles;
  secret: string;
  /** The node's metrics registry, served at /v1/metrics. */
  metrics?: Registry;
  report: () => NodeReport;
  /** Free space above the reserve: writes are refused with 507 when there is none (or less than declared). */
  room: DiskRoom;
  /** Makes a lost shard from its peers' shards (src/storage-node/rebuild.ts); resolves with its size. */
  rebuild?: (request: RebuildRequest) => Promise<number>;
}

/** A rebuild plan is a few hundred bytes per source; anything much larger is not one. */
const MAX_PLAN_BYTES = 64 * 1024;

const fail = (reply: FastifyReply, status: number, error: string, message: string) =>
  reply.code(status).send({ error, message });

/** The node side of the internal protocol (docs/NODE-PROTOCOL.md). */
export function registerNodeRoutes(app: FastifyInstance, deps: NodeRouteDeps): void {
  const { shards } = deps;

  // Shard bodies are streamed to disk by the handler: no body parser may buffer them.
  acceptRawBodies(app);

  app.addHook('onRequest', async (request, reply) => {
    if (!hasBearer(request.headers.authorization, deps.secret)) {
      return fail(reply, 401, 'UNAUTHORIZED', 'the cluster secret is missing or wrong');
    }
  });

  if (deps.metrics) {
    const registry = deps.metrics;
    app.get(nodeRoutes.metrics, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  }

  const shardId = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
    const id = (request.params as { id: string }).id;
    if (SHARD_ID_RE.test(id)) return id;
    fail(reply, 400, 'INVALID_SHARD_ID', 'a shard id is a lower-case GUID');
    return undefined;
  };

  app.put(nodeRoutes.shard(':id'), async (request, reply) => {
    const id = shardId(request, reply);
    if (!id) return reply;
    const declared = Number(request.headers['content-length'] ?? 0);
    const available = deps.room.available();
    if (available <= 0 || declared > available) return fail(reply, 507, 'INSUFFICIENT_STORAGE', new InsufficientStorageError(available).message);
    try {
      const size = await shards.write(id, request.raw);
      return reply.code(201).send({ id, size });
    } catch (error) {
      if (error instanceof ShardExistsError) return fail(reply, 409, 'SHARD_EXISTS', error.message);
      request.log.warn({ shard: id, err: error }, isDiskFull(error) ? 'shard write failed: the disk is full' : 'shard write failed');
      // The sender went away: nobody to answer. The temp file is already gone either way.
      if (request.raw.socket.destroyed) return reply;
      // The disk failed: answered although the body was abandoned (the write's failure ended its stream), since
      // the sender is still there and must hear now, not at its no-progress timeout.
      reply.header('connection', 'close');
      if (isDiskFull(error)) return fail(reply, 507, 'INSUFFICIENT_STORAGE', `the disk filled while the shard was written: ${(error as Error).message}`);
      return fail(reply, 500, 'WRITE_FAILED', (error as Error).message);
    }
  });

  const sendShard = async (request: FastifyRequest, reply: FastifyReply, head: boolean) => {
    const id = shardId(request, reply);
    if (!id) return reply;
    let shard: ShardReader;
    try {
      shard = await shards.openForRead(id);
    } catch (error) {
      if (error instanceof ShardMissingError) return fail(reply, 404, 'NO_SUCH_SHARD', error.message);
      throw error;
    }
    const { size } = shard;
    let handedOver = false;
    try {
      let range;
      try {
        range = parseRangeHeader(request.headers.range, size);
      } catch (error) {
        if (error instanceof RangeNotSatisfiableError) {
          return reply.code(416).header('content-range', `bytes */${size}`).send({ error: 'INVALID_RANGE', message: error.message });
        }
        throw error;
      }
      const start = range?.start ?? 0;
      const length = range ? range.end - range.start + 1 : size;
      reply.header('accept-ranges', 'bytes');
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
      reply.header('content-length', length).header('content-type', 'application/octet-stream');
      if (head || length === 0) return reply.send();
      // Small reads (every shard of a small object) as one buffer: cheaper than a stream's machinery.
      if (length <= SMALL_READ) return reply.send(await shard.read(start, length));
      handedOver = true;
      return await sendLarge(request, reply, shard, start, length);
    } catch (error) {
      if (error instanceof ShardMissingError) return fail(reply, 404, 'NO_SUCH_SHARD', error.message);
      throw error;
    } finally {
      if (!handedOver) await shard.close();
    }
  };

  /**
   * A large read, written by hand from recycled buffers the file is read into (src/storage-node/read-pieces.ts):
   * a fresh buffer per 64 KiB piece made V8 run a full mark-compact every few hundred milliseconds on
   * nodes serving rebuilds (docs/BENCHMARKS.md).
   */
  const sendLarge = async (request: FastifyRequest, reply: FastifyReply, shard: ShardReader, start: number, length: number) => {
    reply.hijack();
    const raw = reply.raw;
    try {
      raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string | number>);
      await sendShardRange(raw, shard, start, length, (error) => request.log.warn({ err: error.message }, 'shard read interrupted'));
    } finally {
      await shard.close();
    }
    return reply;
  };

  app.get(nodeRoutes.shard(':id'), (request, reply) => sendShard(request, reply, false));
  app.head(nodeRoutes.shard(':id'), (request, reply) => sendShard(request, reply, true));

  app.delete(nodeRoutes.shard(':id'), async (request, reply) => {
    const id = shardId(request, reply);
    if (!id) return reply;
    const deleted = await shards.delete(id);
    return deleted ? reply.code(204).send() : fail(reply, 404, 'NO_SUCH_SHARD', `no shard ${id}`);
  });

  // NDJSON, one {id,size,age} per line, streamed: a node may hold millions of shards.
  app.get(nodeRoutes.shards, async (_request, reply) => {
    const lines = async function* () {
      for await (const shard of shards.list()) yield JSON.stringify(shard) + '\n';
    };
    return reply.type('application/x-ndjson').send(Readable.from(lines()));
  });

  app.get(nodeRoutes.status, async () => deps.report());

  if (deps.rebuild) {
    const rebuild = deps.rebuild;
    app.post(nodeRoutes.rebuild, async (request, reply) => {
      let plan: RebuildRequest;
      try {
        const parsed = rebuildRequestSchema.safeParse(await readJsonBody(request.raw, MAX_PLAN_BYTES));
        if (!parsed.success) return fail(reply, 400, 'INVALID_REQUEST', `invalid rebuild plan: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        plan = parsed.data;
      } catch (error) {
        return fail(reply, 400, 'INVALID_REQUEST', `the rebuild plan is not JSON: ${(error as Error).message}`);
      }
      const bytes = plan.stripes * (plan.scheme.blockSize + CHECKSUM_BYTES);
      const available = deps.room.available();
      if (bytes > available) return fail(reply, 507, 'INSUFFICIENT_STORAGE', new InsufficientStorageError(available).message);
      try {
        const size = await rebuild(plan);
        return reply.code(201).send({ id: plan.shardId, size });
      } catch (error) {
        if (error instanceof ShardExistsError) return fail(reply, 409, 'SHARD_EXISTS', error.message);
        request.log.warn({ shard: plan.shardId, err: error }, 'rebuild failed');
        if (isDiskFull(error)) return fail(reply, 507, 'INSUFFICIENT_STORAGE', `the disk filled while the shard was rebuilt: ${(error as Error).message}`);
        return fail(reply, 502, 'REBUILD_FAILED', (error as Error).message);
      }
    });
  }

  app.delete(nodeRoutes.tmp, async (request, reply) => {
    const olderThan = Number((request.query as { older_than?: string }).older_than);
    if (!Number.isFinite(olderThan) || olderThan < 0) {
      return fail(reply, 400, 'INVALID_REQUEST', 'older_than must be a number of seconds');
    }
    return shards.purgeTemp(olderThan * 1000);
  });
}

