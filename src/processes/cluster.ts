import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, existsSync, readFileSync, writeFileSync, renameSync, fchmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { Logger } from '../observability/logger.js';
import { newAccessKey, newSecret } from '../core/ids.js';
import { bearer } from '../core/bearer.js';
import { GATEWAY_RUNTIME_FLAGS, RUNTIME_ENV, RUNTIME_FLAGS } from './runtime-flags.js';
import { openMetadataStore } from '../metadata/open-store.js';
import { lockDirectory, type DirectoryLock } from '../platform/dir-lock.js';
import { assertPortFree, freePort } from './ports.js';
import { childErrorLines, logOffset } from './child-log.js';
import { DIRECTORY_IN_USE_EXIT } from './exit-codes.js';
import { localClusterTls, type TlsFlags } from './cluster-tls.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

const savedStateSchema = z.object({ adminToken: z.string(), nodeSecret: z.string() }).partial();

export interface ClusterNodeInfo {
  id: string;
  url: string;
  pid: number;
  dir: string;
}
export interface ClusterState {
  gateway: { url: string; pid: number };
  adminToken: string;
  nodeSecret: string;
  dataShards: number;
  parityShards: number;
  nodes: ClusterNodeInfo[];
  /** The S3 API and the access key the cluster made for it. */
  s3: { url: string; accessKey: string; secretKey: string; region: string };
  /** With `--tls`: the cluster CA's certificate, which clients check the gateway's against. */
  caFile?: string;
}

/** The name of the access key the local cluster creates for itself (once; reused after a restart). */
const CLUSTER_KEY_NAME = 'local cluster';
const REGION = 'us-east-1';

/**
 * A local cluster for development and tests: a gateway and N storage nodes as separate child processes,
 * all data under one directory. Secrets and node ids persist there, so a restart keeps everything.
 * Children that die are reported, never restarted: tests kill nodes on purpose.
 */
export async function startCluster(config: ClusterConfig, log: Logger, say: (line: string) => void) {
  const dir = resolve(config.dir);
  // First of all: a second cluster on this directory would start duplicates of the live nodes (same ids,
  // same directories). No state is read or written and nothing is spawned before this lock is held.
  mkdirSync(dir, { recursive: true });
  const dirLock = await lockDirectory(dir, 'cluster.lock');
  const children: Children = { list: [], stopping: false };
  try {
    return await startUnderLock(config, dir, log, say, children, dirLock);
  } catch (error) {
    // A failed start leaves nothing running: every child it started is stopped before the error is told.
    await stopChildren(children);
    dirLock.release();
    throw error;
  }
}

async function startUnderLock(
  config: ClusterConfig,
  dir: string,
  log: Logger,
  say: (line: string) => void,
  children: Children,
  dirLock: DirectoryLock,
) {
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const statePath = join(dir, 'cluster.json');
  const saved = existsSync(statePath) ? savedStateSchema.parse(JSON.parse(readFileSync(statePath, 'utf8'))) : {};
  const adminToken = saved.adminToken ?? newSecret();
  const nodeSecret = saved.nodeSecret ?? newSecret();
  if (config.port !== 0) await assertPortFree(config.host, config.port, '--port');
  if (config.s3Port !== undefined && config.s3Port !== 0) await assertPortFree(config.host, config.s3Port, '--s3-port');

  /** Every running child: how it was started (to start it again) and where its own log begins. */
  const launched = new Map<ChildProcess, { name: string; args: string[]; secrets: Record<string, string>; path: string; offset: number; at: number }>();
  /** Once the cluster is ready: what to do when a child dies (start it again, or only say so). */
  let onDeath: ((child: ChildProcess) => void) | undefined;
  const launch = (name: string, args: string[], secrets: Record<string, string>): ChildProcess => {
    const path = join(logs, `${name}.log`);
    const offset = logOffset(path);
    const out = openSync(path, 'a', 0o600);
    // A log made world-readable by an older version (or another umask) is closed to others now.
    fchmodSync(out, 0o600);
    const flags = name === 'gateway' ? GATEWAY_RUNTIME_FLAGS : RUNTIME_FLAGS;
    // Secrets go through the environment (readable by this user only, /proc/PID/environ), never argv.
    const child = spawn(process.execPath, [...flags, CLI, ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...RUNTIME_ENV, ...secrets } });
    closeSync(out);
    children.list.push(child);
    launched.set(child, { name, args, secrets, path, offset, at: Date.now() });
    child.on('exit', (code, signal) => {
      if (children.stopping) return;
      if (onDeath) return onDeath(child);
      log.warn({ child: name, code, signal }, 'child exited while the cluster started');
      say(`${name} (pid ${child.pid}) exited${signal ? ` on ${signal}` : ` with code ${code}`}`);
    });
    return child;
  };
  /** The start failed because `child` exited: its own words, from its log. */
  const exitedError = (child: ChildProcess, while_: string): Error => {
    const { name, path, offset } = launched.get(child)!;
    const lines = childErrorLines(path, offset).map((line) => `  ${name}: ${line}`);
    return new Error(`${name} exited with code ${child.exitCode ?? child.signalCode} ${while_}:\n${lines.join('\n')}\n(full log: ${path})`);
  };

  const tls = config.tls ? await localClusterTls(dir, config.host) : undefined;
  const tlsFlags: TlsFlags = tls ? tls.flags : async () => [];
  const scheme = tls ? 'https' : 'http';
  const gatewayPort = config.port === 0 ? await freePort(config.host) : config.port;
  const gatewayUrl = `${scheme}://${config.host}:${gatewayPort}`;
  const db = config.db ?? `sqlite:${join(dir, 'meta.db')}`;
  const s3Port = config.s3Port || (await freePort(config.host));
  // The local cluster is the one-command setup, so it does what an operator runs first: `migrate`, and an
  // S3 access key.
  const store = await openMetadataStore(db, { migrate: true });
  let key = (await store.accessKeys.list()).find((k) => k.name === CLUSTER_KEY_NAME);
  if (!key) {
    key = newAccessKey(CLUSTER_KEY_NAME, true);
    await store.accessKeys.create(key);
  }
  await store.close();
  const gatewayArgs = [
    'gateway', '--port', String(gatewayPort), '--host', config.host,
    '--db', db,
    '--data-shards', String(config.dataShards), '--parity-shards', String(config.parityShards),
    // bucket.localhost resolves to loopback in curl and browsers, so virtual-hosted style works locally.
    '--s3-port', String(s3Port), '--s3-region', REGION, '--s3-domain', 'localhost',
  ];
  if (config.blockSize !== undefined) gatewayArgs.push('--block-size', String(config.blockSize));
  if (config.gcGrace !== undefined) gatewayArgs.push('--gc-grace', String(config.gcGrace));
  if (config.gcInterval !== undefined) gatewayArgs.push('--gc-interval', String(config.gcInterval));
  if (config.idleTimeout !== undefined) gatewayArgs.push('--idle-timeout', String(config.idleTimeout));
  if (config.dbTimeout !== undefined) gatewayArgs.push('--db-timeout', String(config.dbTimeout));
  gatewayArgs.push(...(await tlsFlags('gateway')));
  const gatewaySecrets = { SHARDSTORE_NODE_SECRET: nodeSecret, SHARDSTORE_ADMIN_TOKEN: adminToken };
  const nodeSecrets = { SHARDSTORE_NODE_SECRET: nodeSecret };
  const gateway = launch('gateway', gatewayArgs, gatewaySecrets);
  const gatewayAlive = () => {
    if (gateway.exitCode !== null || gateway.signalCode !== null) throw exitedError(gateway, 'while the cluster started');
  };
  await waitFor(async () => {
    gatewayAlive();
    return (await get(`${gatewayUrl}/_health/live`)).status === 200;
  }, 30_000, 'the gateway to answer /_health/live');

  const nodes: { dir: string; child: ChildProcess; url: string; starts: number }[] = [];
  // A free port can be taken by another process between the probe and the node's bind: a node that
  // exits while the cluster starts is launched again on another port, up to three times. One that found
  // its directory in use (exit code 3) is not: that is another process's directory.
  const startNode = async (i: number) => {
    const nodeDir = join(dir, 'nodes', `node-${i}`);
    const port = await freePort(config.host);
    const args = ['node', '--dir', nodeDir, '--port', String(port), '--host', config.host, '--gateway', gatewayUrl];
    if (config.nodeCapacity !== undefined) args.push('--capacity', String(config.nodeCapacity));
    if (config.machines !== undefined) args.push('--machine', `machine-${((i - 1) % config.machines) + 1}`);
    args.push(...(await tlsFlags(`node-${i}`)));
    const previous = nodes[i - 1];
    nodes[i - 1] = { dir: nodeDir, child: launch(`node-${i}`, args, nodeSecrets), url: `${scheme}://${config.host}:${port}`, starts: (previous?.starts ?? 0) + 1 };
  };
  // Several waiters call this at once: one check at a time, so no node is started twice.
  let restarts = Promise.resolve();
  const restartExited = () =>
    (restarts = restarts.then(async () => {
      gatewayAlive();
      for (let i = 1; i <= nodes.length; i++) {
        const node = nodes[i - 1]!;
        if (node.child.exitCode === null && node.child.signalCode === null) continue;
        if (node.starts >= 3 || node.child.exitCode === DIRECTORY_IN_USE_EXIT) throw exitedError(node.child, 'while the cluster started');
        say(`node-${i} exited while starting (code ${node.child.exitCode}); starting it again on another port`);
        await startNode(i);
      }
    }));
  for (let i = 1; i <= config.nodes; i++) await startNode(i);

  const ids = await Promise.all(
    nodes.map(async (n) => {
      const idFile = join(n.dir, 'node.json');
      await waitFor(async () => {
        await restartExited();
        return existsSync(idFile);
      }, 30_000, `${idFile} to appear`);
      return (JSON.parse(readFileSync(idFile, 'utf8')) as { id: string }).id;
    }),
  );
  await waitFor(
    async () => {
      await restartExited();
      const res = await get(`${gatewayUrl}/_nodes`, adminToken);
      if (res.status !== 200) return false;
      const listed = (res.body as { nodes: { id: string; url: string; state: string }[] }).nodes;
      // The URL proves the node registered from this start (after a restart the registry still
      // holds the previous run's entries, with their old ports, for a few seconds).
      return nodes.every((node, i) => listed.some((n) => n.id === ids[i] && n.url === node.url && n.state === 'up'));
    },
    30_000,
    'every node to register with the gateway',
  );

  const state: ClusterState = {
    gateway: { url: gatewayUrl, pid: gateway.pid! },
    adminToken,
    nodeSecret,
    dataShards: config.dataShards,
    parityShards: config.parityShards,
    nodes: nodes.map((n, i) => ({ id: ids[i]!, url: n.url, pid: n.child.pid!, dir: n.dir })),
    s3: { url: `${scheme}://${config.host}:${s3Port}`, accessKey: key.accessKey, secretKey: key.secretKey, region: REGION },
    ...(tls ? { caFile: tls.caFile } : {}),
  };
  const saveState = () => {
    writeFileSync(`${statePath}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    renameSync(`${statePath}.tmp`, statePath);
  };
  saveState();
  log.info({ gateway: gatewayUrl, nodes: nodes.length }, 'cluster ready');

  // Supervision: every child is started again when it dies (same arguments, so a node keeps its port and
  // URL), after a back-off that doubles from 1 s to 30 s while it keeps dying and starts over once a child
  // has run for a minute. cluster.json follows the new pids.
  const backoff = new Map<string, number>();
  const setPid = (name: string, pid: number) => {
    if (name === 'gateway') state.gateway.pid = pid;
    else state.nodes[Number(name.slice('node-'.length)) - 1]!.pid = pid;
  };
  onDeath = (child) => {
    const { name, args, secrets, path, offset, at } = launched.get(child)!;
    launched.delete(child);
    children.list.splice(children.list.indexOf(child), 1);
    const how = child.signalCode ? `on ${child.signalCode}` : `with code ${child.exitCode}`;
    const why = child.signalCode ? [] : childErrorLines(path, offset, 3);
    if (config.restart === 'never') {
      log.warn({ child: name, pid: child.pid, how, why }, 'child exited; not restarted (--restart never)');
      say(`${name} (pid ${child.pid}) exited ${how}; not restarted (--restart never)`);
      return;
    }
    const delay = Date.now() - at >= 60_000 ? 1000 : Math.min(30_000, Math.max(1000, (backoff.get(name) ?? 0) * 2));
    backoff.set(name, delay);
    log.warn({ child: name, pid: child.pid, how, why, restartInMs: delay }, 'child exited; restarting it');
    say(`${name} (pid ${child.pid}) exited ${how}${why.length ? ` (${why.join(' / ')})` : ''}; starting it again in ${delay / 1000} s`);
    setTimeout(() => {
      if (children.stopping) return;
      setPid(name, launch(name, args, secrets).pid!);
      saveState();
    }, delay);
  };

  return {
    state,
    async close() {
      await stopChildren(children);
      dirLock.release();
    },
  };
}

interface Children {
  list: ChildProcess[];
  /** Set once the cluster stops them: their exits are expected, not news. */
  stopping: boolean;
}

/** SIGTERM to every child still running, SIGKILL to those that have not exited 4 s later. */
async function stopChildren(children: Children): Promise<void> {
  children.stopping = true;
  const running = children.list.filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running) c.kill('SIGTERM');
  const timer = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), 4000);
  await Promise.all(exited);
  clearTimeout(timer);
}

async function get(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, { headers: token ? { authorization: bearer(token) } : {}, signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 0, body: undefined };
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}
