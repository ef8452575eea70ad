import type { AddressInfo } from 'node:net';
import { MetadataUnavailableError } from '../core/errors.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../observability/logger.js';
import { erasureCoderCache } from '../core/erasure-coder.js';
import { openMetadataStore, sqliteFileOf } from '../metadata/open-store.js';
import { lockDirectory } from '../platform/dir-lock.js';
import { basename, dirname, resolve } from 'node:path';
import { NodeDirectory } from '../shard-stores/node-directory.js';
import { HttpShardStore, type ShardTraffic } from '../shard-stores/http-shard-store.js';
import type { ObjectServices } from '../objects/object-services.js';
import { createUseCases } from '../objects/use-cases.js';
import { DigestWorker } from '../streams/digest-worker.js';
import { BufferPool, SizedBufferPools } from '../streams/buffer-pool.js';
import { createGcPacer, exposedGc, GC_PACE_BYTES } from '../streams/gc-pacer.js';
import { registerAccessLog } from '../http/access-log.js';
import { createHttpServer } from '../http/create-server.js';
import { sendError } from '../http/error-map.js';
import { registerAdminRoutes, registerHealthRoutes, registerNodeRegistration } from '../api/admin/admin-routes.js';
import { adminScope, bearerScope, browseScope, peerCertificateScope } from '../http/auth-scopes.js';
import { registerPathRoutes } from '../api/paths/path-routes.js';
import { registerFilestoreRoutes } from '../api/filestore/filestore-routes.js';
import { AuditRecorder } from '../objects/audit-recorder.js';
import { Cleaner } from '../jobs/cleaner.js';
import { PeriodicRunner } from '../jobs/periodic-runner.js';
import type { Worker } from '../jobs/worker.js';
import type { Fence } from '../domain/metadata-store.js';
import { Deduper } from '../jobs/deduper.js';
import { registerBrowseRoutes } from '../api/admin/browse-routes.js';
import { registerConsoleRoutes } from '../api/console/console-routes.js';
import { FAVICON } from '../api/console/favicon.js';
import { registerObjectAdminRoutes } from '../api/admin/object-admin-routes.js';
import { registerJobRoutes } from '../api/admin/job-routes.js';
import { registerKeyRoutes } from '../api/admin/key-routes.js';
import { registerMetricsRoute } from '../api/admin/metrics-route.js';
import { createGatewayMetrics } from '../observability/metrics.js';
import { Repairer } from '../jobs/repairer.js';
import { Rebalancer } from '../jobs/rebalancer.js';
import { Scrubber } from '../jobs/scrubber.js';
import { PlacementAuditor } from '../jobs/placement-audit.js';
import { registerS3Routes, s3RequestId } from '../api/s3/s3-routes.js';
import { loadTlsIdentity, peerTlsOf } from '../config/tls-files.js';

export interface RunningGateway {
  url: string;
  /** The S3-compatible API's URL. */
  s3Url: string;
  close(): Promise<void>;
}

/** A rebalance pass starts by itself above this relative fill spread; below the mean by as much, a node is joining. */
const REBALANCE_START_ABOVE = 0.1;

/** Composition root of the gateway: the only place that builds adapters and wires them together. */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  if (!exposedGc()) log.warn('started without --expose-gc (use the shardstore binary): memory use will be higher and less even');
  // SQLite is one file that one gateway writes; a second gateway on it must use PostgreSQL instead.
  const sqliteFile = sqliteFileOf(config.db);
  const dbLock = sqliteFile === undefined ? undefined : await lockDirectory(dirname(resolve(sqliteFile)), `${basename(sqliteFile)}.lock`);
  const tls = loadTlsIdentity(config, false);
  const peerTls = peerTlsOf(tls);
  const metaLog = log.child({ component: 'metadata' });
  const metadata = await openMetadataStore(config.db, {
    migrate: false,
    queryTimeoutMs: config.dbTimeoutMs,
    // One line when the store stops answering and one when it is back: requests meanwhile get 503s.
    onAvailability: ({ available, cause, outageMs }) =>
      available
        ? metaLog.warn({ outageMs }, 'metadata store reachable again')
        : metaLog.error({ err: cause }, 'metadata store unreachable; answering 503 until it is back'),
  });
  const shardTraffic: ShardTraffic = { read: 0, written: 0 };
  const directory = new NodeDirectory(metadata.nodes, (nodeUrl) => new HttpShardStore(nodeUrl, config.nodeSecret, { tls: peerTls, traffic: shardTraffic }), config.nodeDownAfterMs, Date.now, (error) => {
    // An outage of the store is logged once by its watcher; anything else here is news.
    if (!(error instanceof MetadataUnavailableError)) log.warn({ err: error }, 'could not refresh the node registry; using the last known nodes');
  });
  await directory.start();

  const metrics = createGatewayMetrics(() => directory.list(), shardTraffic);
  const audit = new AuditRecorder(metadata.audit, log.child({ component: 'audit' }));
  const digests = new DigestWorker();
  const svc: ObjectServices = {
    metadata,
    nodes: directory,
    scheme: { dataShards: config.dataShards, parityShards: config.parityShards, blockSize: config.blockSize },
    coderFor: erasureCoderCache(),
    log: log.child({ component: 'objects' }),
    audit,
    gcPacer: createGcPacer(GC_PACE_BYTES, exposedGc()),
    // Several refreshes per grace period: the cleaner must never see a live upload as abandoned.
    intentRefreshMs: Math.max(250, Math.min(30_000, (config.gcGraceSec * 1000) / 4)),
    readTimeoutMs: config.shardTimeoutMs,
    maxObjectSize: config.maxObjectSize,
    digests,
    onShardReadFailure: (reason) => metrics.shardReadFailures.inc({ reason }),
    stripeBuffers: new BufferPool(config.dataShards * config.blockSize, 4),
    // Six per GET under way; what several GETs leave idle is kept for the next ones.
    blockBuffers: new SizedBufferPools(24),
    parityBuffers: new BufferPool(Math.max(config.parityShards, 1) * config.blockSize, 4),
  };

  const useCases = createUseCases(svc);
  // Any S3 key signs in to the console; its browse API then shows and changes what the key's rights allow.
  const keyOf = (accessKey: string) => metadata.accessKeys.find(accessKey);
  const secretOf = async (accessKey: string) => (await keyOf(accessKey))?.secretKey;

  // With the cluster CA, nodes register with certificates it signed; browsers and clients on the same port
  // are asked for none they must have, so the handshake only offers (the registration scope checks).
  const app = createHttpServer(log, config.idleTimeoutMs, undefined, tls && { cert: tls.cert, key: tls.key, ...(peerTls ? { ca: peerTls.ca, requestCert: true, rejectUnauthorized: false } : {}) });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` }));
  // Node heartbeats arrive every second from every node; only their failures are news.
  registerAccessLog(app, (method, path) => method === 'POST' && path === '/_nodes', metrics);
  const auditor = new PlacementAuditor(svc);
  const adminDeps = {
    registry: metadata.nodes,
    directory,
    audit: metadata.audit,
    recorder: audit,
    // The rebalancer is made below; its nodes are asked for only once requests arrive.
    rebalancing: () => rebalancer.nodesInPass(),
    balanceLimit: (up: readonly string[]) => rebalancer.limit(up),
    joinThreshold: REBALANCE_START_ABOVE,
    scheme: svc.scheme,
    countOnNode: (nodeId: string) => metadata.placement.countOnNode(nodeId),
    placementAudit: () => auditor.report(),
  };
  const cleaner = new Cleaner(metadata, directory, audit, config.gcGraceSec * 1000, log.child({ component: 'cleaner' }), config.multipartExpirySec * 1000);
  const deduper = new Deduper(metadata.sharing, audit, log.child({ component: 'dedupe' }));
  const repairer = new Repairer(svc, config.repairAfterSec * 1000, log.child({ component: 'repair' }), Date.now, config.repairRate);
  const rebalancer = new Rebalancer(
    svc,
    { startAbove: REBALANCE_START_ABOVE, stopAt: 0.05, bytesPerSecond: config.rebalanceRate, passBudgetMs: 10 * 60_000 },
    log.child({ component: 'rebalance' }),
  );
  const scrubber = new Scrubber(svc, config.scrubRate, config.scrubRate * (config.scrubIntervalSec || 60), log.child({ component: 'scrub' }));
  // Background jobs: periodic under a lease (interval 0: only on demand) and `POST /_<job>` now, with
  // the options an operator's request means (repair: nodes down now are lost; rebalance: below the
  // automatic threshold too; scrub: a full sweep).
  // Jobs that switch what objects point to (repair, rebalance, dedupe) commit under their pass's fence.
  const jobs = [
    job('/_gc', cleaner, config.gcIntervalSec, (fence) => cleaner.runOnce(fence), false, (fence) => cleaner.runOnce(fence)),
    job('/_dedupe', deduper, config.dedupeIntervalSec, (fence) => deduper.runOnce(fence), false, (fence) => deduper.runOnce(fence)),
    job('/_repair', repairer, config.repairIntervalSec, (fence) => repairer.runOnce({ downNowIsLost: true, fence }), false, (fence) => repairer.runOnce({ fence })),
    job('/_rebalance', rebalancer, config.rebalanceIntervalSec, (fence) => rebalancer.runOnce(true, fence), true, (fence) => rebalancer.runOnce(false, fence)),
    job('/_scrub', scrubber, config.scrubIntervalSec, (fence) => scrubber.runOnce(true, fence), false, (fence) => scrubber.runOnce(false, fence)),
  ].map((j) => ({
    ...j,
    runner: new PeriodicRunner<unknown>(
      j.worker,
      metadata.leases,
      j.intervalSec * 1000,
      log,
      (name, seconds, ok) => {
        metrics.jobPasses.inc({ job: name, result: ok ? 'ok' : 'failed' });
        metrics.jobDuration.observe({ job: name }, seconds);
      },
      j.periodic,
    ),
  }));
  // Who may call what is decided once per group of routes, by its scope's hook (src/http/auth-scopes.ts).
  const jobControls = Object.fromEntries(jobs.map((j) => [j.path, { begin: () => j.runner.begin(j.onDemand), status: () => j.runner.status(), background: j.background }]));
  await app.register(async (scope) => registerHealthRoutes(scope, adminDeps));
  await app.register(async (scope) => {
    if (peerTls) peerCertificateScope(scope);
    bearerScope(scope, [config.nodeSecret], 'node secret');
    registerNodeRegistration(scope, { ...adminDeps, nodeScheme: peerTls ? 'https:' : undefined });
  });
  await app.register(async (scope) => {
    adminScope(scope, config.adminToken);
    registerAdminRoutes(scope, adminDeps);
    registerJobRoutes(scope, jobControls);
    registerObjectAdminRoutes(scope, { objects: useCases.objects });
    registerKeyRoutes(scope, { keys: metadata.accessKeys, buckets: metadata.buckets });
  });
  await app.register(async (scope) => {
    bearerScope(scope, [config.adminToken, ...(config.metricsToken ? [config.metricsToken] : [])], 'admin or metrics token', config.adminToken);
    registerMetricsRoute(scope, metrics.registry);
  });
  await app.register(async (scope) => {
    browseScope(scope, config.adminToken, secretOf);
    registerBrowseRoutes(scope, { useCases, keyOf });
  });
  // The console's pages and its sign-in are public; signing in is where its credentials are checked.
  await app.register(async (scope) => registerConsoleRoutes(scope, config.adminToken, secretOf));
  await app.register(async (scope) => registerFilestoreRoutes(scope, useCases.objects));
  await app.register(async (scope) => registerPathRoutes(scope, useCases.objects, (key) => (key === 'favicon.ico' ? FAVICON : undefined)));

  // The S3 API listens on a port of its own: its addressing (`/bucket/key`) and its errors (XML) differ.
  const s3 = createHttpServer(log.child({ component: 's3' }), config.idleTimeoutMs, s3RequestId, tls && { cert: tls.cert, key: tls.key });
  registerAccessLog(s3, undefined, metrics);
  await s3.register(async (scope) => registerS3Routes(scope, { useCases, keyOf, region: config.s3Region, domain: config.s3Domain }));

  const listen = async (server: typeof app, port: number) => {
    await server.listen({ port, host: config.host });
    return `${tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${(server.server.address() as AddressInfo).port}`;
  };
  const url = await listen(app, config.port);
  const s3Url = await listen(s3, config.s3Port);
  for (const j of jobs) if (j.intervalSec > 0) j.runner.start();
  log.info({ url, s3: s3Url, scheme: svc.scheme, ...(tls ? { tls: { subject: tls.subject, validTo: tls.validTo, peers: peerTls ? 'cluster CA' : 'plain HTTP' } } : {}) }, 'gateway listening');
  return {
    url,
    s3Url,
    async close() {
      await app.close();
      await s3.close();
      for (const j of jobs) await j.runner.stop();
      await audit.flush();
      await directory.close();
      await metadata.close();
      await digests.close();
      dbLock?.release();
    },
  };
}

function job(
  path: string,
  worker: Worker<unknown>,
  intervalSec: number,
  onDemand: (fence: Fence) => Promise<unknown>,
  background = false,
  periodic: (fence: Fence) => Promise<unknown> = () => worker.runOnce(),
) {
  return { path, worker, intervalSec, onDemand, background, periodic };
}
