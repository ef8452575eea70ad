import { Gauge } from 'prom-client';
import { createHttpServer } from '../http/create-server.js';
import { registerAccessLog } from '../http/access-log.js';
import { createHttpMetrics } from '../observability/metrics.js';
import { mkdir, stat, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { lockDirectory } from '../platform/dir-lock.js';
import { defaultReserve, type DiskRoom } from '../storage-node/disk-room.js';
import type { AddressInfo } from 'node:net';
import type { NodeConfig } from '../config/node-config.js';
import type { Logger } from '../observability/logger.js';
import { PROTOCOL_VERSION, type NodeReport, type RebuildRequest } from '../node-protocol/protocol.js';
import { createGcPacer, exposedGc, GC_PACE_BYTES } from '../streams/gc-pacer.js';
import { ShardFiles } from '../storage-node/shard-files.js';
import { loadOrCreateIdentity } from '../storage-node/node-identity.js';
import { registerNodeRoutes } from '../storage-node/node-routes.js';
import { attachFrameServer } from '../storage-node/frame-server.js';
import { startHeartbeat } from '../storage-node/heartbeat.js';
import { loadTlsIdentity, peerTlsOf } from '../config/tls-files.js';
import { PeerShardReader, RebuildBuffers, rebuildShard } from '../storage-node/rebuild.js';
import { erasureCoderCache } from '../core/erasure-coder.js';

export interface RunningNode {
  id: string;
  url: string;
  close(): Promise<void>;
}

/** Composition root of a storage node. */
export async function startStorageNode(config: NodeConfig, log: Logger): Promise<RunningNode> {
  // A node speaks to peers only, so its TLS always checks them against the cluster CA (required with it).
  const tls = loadTlsIdentity(config, true);
  // Two nodes on one directory would share an id and overwrite each other's shards: the second one stops here.
  await mkdir(config.dir, { recursive: true });
  const dirLock = await lockDirectory(config.dir, 'node.lock');
  const identity = await loadOrCreateIdentity(config.dir);
  const gcPace = createGcPacer(GC_PACE_BYTES, exposedGc());
  const shards = new ShardFiles(config.dir, {
    onError: (err, what) => log.warn({ err }, what),
    // Socket and file read buffers die young; collecting them by traffic keeps RSS flat (as in the gateway).
    onBytes: gcPace,
  });
  const migrated = await shards.init();
  if (migrated > 0) log.info({ shards: migrated }, 'moved shard files of the earlier split layout into the fan-out directories');
  // The file system, named by host and device, so that the gateway counts a disk shared by several nodes
  // once; its free bytes are read again with every heartbeat, so a disk that fills (or that other programs
  // fill) is seen as full whatever capacity was declared.
  const fsId = `${hostname()}:${(await stat(config.dir)).dev}`;
  const readDisk = async () => {
    const fs = await statfs(config.dir);
    return { free: Number(fs.bavail) * Number(fs.bsize), size: Number(fs.blocks) * Number(fs.bsize) };
  };
  const disk = await readDisk();
  const reserve = config.reserve ?? defaultReserve(disk.size);
  // What the node reports and places by is the room above the reserve: a node at its reserve is full.
  let fsFree = Math.max(0, disk.free - reserve);
  const room: DiskRoom = { reserve, available: () => fsFree };
  const capacity = () => config.capacity ?? fsFree + shards.used;
  const fsTimer = setInterval(() => void readDisk().then((d) => (fsFree = Math.max(0, d.free - reserve)), () => undefined), config.heartbeatMs);
  fsTimer.unref();

  // With TLS, a peer without a certificate the cluster CA signed is turned away in the handshake, before it
  // can send a request: the shards, the framed channel and the status alike.
  const app = createHttpServer(log, 120_000, undefined, tls && { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true });
  let url = '';
  // Failure domains: the machine defaults to the hostname, so nodes on one box are one domain unless told otherwise.
  const machine = config.machine ?? hostname();
  const report = (): NodeReport => ({ id: identity.id, url, capacity: capacity(), used: shards.used, shards: shards.count, fsId, fsFree, zone: config.zone, machine, version: PROTOCOL_VERSION });
  const metrics = createHttpMetrics('node');
  new Gauge({ name: 'shardstore_node_used_bytes', help: 'Bytes of shard files held', registers: [metrics.registry], collect() { this.set(shards.used); } });
  new Gauge({ name: 'shardstore_node_shards', help: 'Shard files held', registers: [metrics.registry], collect() { this.set(shards.count); } });
  new Gauge({ name: 'shardstore_node_capacity_bytes', help: 'Declared capacity', registers: [metrics.registry], collect() { this.set(capacity()); } });
  // Shard traffic is the node's whole job: successes log at debug level, failures at info.
  registerAccessLog(app, () => true, metrics);
  // Rebuilds handed over by the repairer read their sources from the peers, as the gateway would.
  const peers = new PeerShardReader(config.secret, peerTlsOf(tls), 30_000, gcPace);
  // One coder per scheme for the node's life: each rebuild used to build its own (tables and context).
  const coder = erasureCoderCache();
  const rebuildBuffers = new RebuildBuffers();
  const rebuild = (plan: RebuildRequest) =>
    rebuildShard(plan, {
      create: (shardId) => shards.create(shardId),
      coder,
      open: (source, shard) => peers.open(source, shard),
      buffers: rebuildBuffers,
    });
  registerNodeRoutes(app, { shards, secret: config.secret, report, metrics: metrics.registry, room, rebuild });

  const frames = attachFrameServer(app.server, { shards, secret: config.secret, log, room });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  url = config.advertiseUrl ?? `${tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
  log.info(
    { id: identity.id, url, capacity: capacity(), fsId, fsFree, zone: config.zone, machine, reserve, used: shards.used, shards: shards.count, ...(tls ? { tls: { subject: tls.subject, validTo: tls.validTo } } : {}) },
    'storage node listening',
  );

  const heartbeat = startHeartbeat({ gateway: config.gateway, secret: config.secret, intervalMs: config.heartbeatMs, report, log, tls: peerTlsOf(tls) });
  return {
    id: identity.id,
    url,
    async close() {
      heartbeat.stop();
      clearInterval(fsTimer);
      frames.close();
      peers.close();
      await app.close();
      await shards.close();
      dirLock.release();
    },
  };
}
