import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { ClusterState } from '../../src/processes/cluster.js';
import { freePort } from '../../src/processes/ports.js';
import { GATEWAY_RUNTIME_FLAGS, RUNTIME_ENV, RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface NodeListing {
  id: string;
  url: string;
  state: 'up' | 'down';
  capacity: number;
  used: number;
  shards: number;
  /** The node's file system (host and device); nodes that share one split its free space. */
  fsId: string | null;
}

/** A real cluster (`shardstore cluster`: a gateway and N node processes) in a temp directory. */
export class LocalCluster {
  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly state: ClusterState,
    /** What `shardstore cluster` printed up to its ready message. */
    readonly startOutput: string,
    /** Everything it has printed so far. */
    readonly output: () => string,
    private readonly process: ChildProcess,
    private readonly flags: string[],
    private readonly extras: ChildProcess[] = [],
  ) {}

  static async start(nodes = 8, flags: string[] = [], dir = mkdtempSync(join(tmpdir(), 'shardstore-it-'))): Promise<LocalCluster> {
    const port = await freePort('127.0.0.1');
    // Tests kill processes on purpose and expect them to stay dead, unless they ask for supervision.
    const restart = flags.includes('--restart') ? [] : ['--restart', 'never'];
    const child = spawn(process.execPath, [...RUNTIME_FLAGS, CLI, 'cluster', '--dir', dir, '--port', String(port), '--nodes', String(nodes), ...restart, ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...RUNTIME_ENV },
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!/Ctrl-C stops everything/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`cluster did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterState;
    // With --tls this process's fetch checks the gateway and the nodes against the cluster's CA.
    if (state.caFile) setDefaultCACertificates([...getCACertificates('default'), readFileSync(state.caFile, 'utf8')]);
    return new LocalCluster(dir, new URL(state.gateway.url).origin, state, output, () => output, child, flags);
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.url + path, { ...init, headers: { ...init.headers, authorization: `Bearer ${this.state.adminToken}` } });
  }

  async nodes(): Promise<NodeListing[]> {
    const res = await this.admin('/_nodes');
    return ((await res.json()) as { nodes: NodeListing[] }).nodes;
  }

  killNode(index: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(this.state.nodes[index]!.pid, signal);
  }

  /** Resolves once the index-th node's port refuses connections (a killed node is gone). */
  async nodeGone(index: number): Promise<void> {
    const url = this.state.nodes[index]!.url;
    await waitUntil(() => fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(1000) }).then(() => false, () => true), 10_000, `node ${index} to be gone`);
  }

  /**
   * Kills the gateway with SIGKILL (a crash) and starts a new gateway process on the same port, store and
   * secrets; the nodes' heartbeats find it again. Later gateway flags (`--gc-grace 2`) override earlier.
   */
  async restartGateway(flags: string[] = []): Promise<void> {
    process.kill(this.state.gateway.pid, 'SIGKILL');
    const { port } = new URL(this.url);
    const passthrough = this.flags.filter((f, i) => f.startsWith('--gc-') || this.flags[i - 1]?.startsWith('--gc-'));
    const child = spawn(
      process.execPath,
      [...GATEWAY_RUNTIME_FLAGS, CLI, 'gateway', '--port', port, '--s3-port', new URL(this.state.s3.url).port, '--db', `sqlite:${join(this.dir, 'meta.db')}`,
        '--node-secret', this.state.nodeSecret, '--admin-token', this.state.adminToken, ...passthrough, ...flags],
      { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } },
    );
    this.extras.push(child);
    this.state.gateway.pid = child.pid!;
    await waitUntil(async () => (await fetch(`${this.url}/_health`).catch(() => undefined))?.status === 200, 20_000, 'the new gateway');
  }

  /** Starts the index-th node again (after killNode) on its own data directory, so with its own id. */
  async restartNode(index: number): Promise<void> {
    const node = this.state.nodes[index]!;
    const args = [...RUNTIME_FLAGS, CLI, 'node', '--dir', node.dir, '--port', '0', '--gateway', this.url, '--secret', this.state.nodeSecret];
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } });
    this.extras.push(child);
    node.pid = child.pid!;
    let url = node.url;
    await waitUntil(async () => {
      const back = (await this.nodes()).find((n) => n.id === node.id && n.state === 'up' && n.url !== node.url);
      if (back) url = back.url;
      return back !== undefined;
    }, 20_000, 'the node to be back');
    // The next restart must wait for yet another URL.
    (node as { url: string }).url = url;
  }

  /**
   * Starts another gateway process on the same metadata store (`db`, PostgreSQL for several gateways) and
   * secrets; it finds the nodes through the shared registry. Stopped with the cluster.
   */
  async addGateway(db: string, flags: string[] = []): Promise<string> {
    const port = await freePort('127.0.0.1');
    const child = spawn(
      process.execPath,
      [...GATEWAY_RUNTIME_FLAGS, CLI, 'gateway', '--port', String(port), '--s3-port', '0', '--db', db,
        '--node-secret', this.state.nodeSecret, '--admin-token', this.state.adminToken, ...flags],
      { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } },
    );
    this.extras.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/_health`).catch(() => undefined))?.status === 200, 20_000, 'the second gateway');
    return url;
  }

  /** Starts one more storage node process that joins the running cluster. */
  async addNode(capacity?: number): Promise<string> {
    const dir = join(this.dir, `extra-${this.extras.length + 1}`);
    const args = [...RUNTIME_FLAGS, CLI, 'node', '--dir', dir, '--port', '0', '--gateway', this.url, '--secret', this.state.nodeSecret];
    if (capacity !== undefined) args.push('--capacity', String(capacity));
    this.extras.push(spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } }));
    const idFile = join(dir, 'node.json');
    for (let i = 0; i < 200 && !existsSync(idFile); i++) await new Promise((r) => setTimeout(r, 50));
    return (JSON.parse(readFileSync(idFile, 'utf8')) as { id: string }).id;
  }

  /** Stops the cluster (SIGTERM, as Ctrl-C would) and removes its directory unless `keep`. */
  async stop(keep = false): Promise<void> {
    for (const e of this.extras) e.kill('SIGKILL');
    if (this.process.exitCode === null) {
      const exited = new Promise((r) => this.process.once('exit', r));
      this.process.kill('SIGTERM');
      await exited;
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

import { waitUntil } from './wait.js';

export { waitUntil };
