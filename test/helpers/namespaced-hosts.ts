import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * Hosts of a test's own: one Linux network namespace per host, each joined to one bridge by a veth pair,
 * addresses in a /24 of 10.231.0.0/16 that no route of the machine uses. The bridge holds the first address,
 * so this process reaches every host; nothing is routed anywhere else. `destroy` removes every process,
 * namespace and link made, also after a failed test. Root only (CI runs as root).
 */
export class NamespacedHosts {
  private readonly children: ChildProcess[] = [];

  private constructor(
    private readonly tag: string,
    readonly subnet: string,
    readonly names: readonly string[],
  ) {}

  /** The hosts, or why this machine cannot make them (not root, no `ip`, the kernel refuses namespaces). */
  static create(names: readonly string[]): NamespacedHosts | string {
    if (process.getuid?.() !== 0) return 'network namespaces need root';
    if (spawnSync('ip', ['-V']).status !== 0) return 'no `ip` command (Debian package iproute2)';
    const used = spawnSync('ip', ['-4', 'route'], { encoding: 'utf8' }).stdout;
    const third = Array.from({ length: 200 }, (_, i) => 20 + i).find((n) => !used.includes(`10.231.${n}.`));
    if (third === undefined) return 'no free /24 in 10.231.0.0/16';
    const hosts = new NamespacedHosts(randomBytes(2).toString('hex'), `10.231.${third}`, names);
    try {
      hosts.build();
    } catch (error) {
      hosts.destroy();
      return `the kernel refused the namespaces: ${(error as Error).message}`;
    }
    return hosts;
  }

  /** The host's address on the bridge. */
  ip(name: string): string {
    return `${this.subnet}.${10 + this.index(name)}`;
  }

  /** This process's address on the bridge (the hosts reach it there, e.g. for a gateway run here). */
  get bridgeIp(): string {
    return `${this.subnet}.1`;
  }

  /** Runs a command on the host; its output goes to `logFile`. Killed by `kill(name)` or `destroy`. */
  spawn(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
    const out = openSync(logFile, 'a');
    const child = spawn('ip', ['netns', 'exec', this.namespace(name), command, ...args], { stdio: ['ignore', out, out], env });
    closeSync(out);
    this.children.push(child);
    return child;
  }

  /** SIGKILL to every process on the host, as when the machine dies; resolves once they are gone. */
  async kill(name: string): Promise<void> {
    const pids = this.pids(name);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (this.pids(name).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** Cuts the host off the network (its veth link down, as a pulled cable) or joins it again. */
  link(name: string, up: boolean): void {
    run('ip', ['link', 'set', this.hostLink(name), up ? 'up' : 'down']);
  }

  /** Adds `ms` of latency to everything the host sends; the reason when the kernel has no netem. */
  delay(name: string, ms: number): true | string {
    const result = spawnSync('ip', ['netns', 'exec', this.namespace(name), 'tc', 'qdisc', 'add', 'dev', this.peerLink(name), 'root', 'netem', 'delay', `${ms}ms`], { encoding: 'utf8' });
    return result.status === 0 ? true : `tc netem is not available here: ${(result.stderr || result.error?.message || '').trim()}`;
  }

  undelay(name: string): void {
    run('ip', ['netns', 'exec', this.namespace(name), 'tc', 'qdisc', 'del', 'dev', this.peerLink(name), 'root']);
  }

  destroy(): void {
    for (const name of this.names) for (const pid of this.pids(name)) process.kill(pid, 'SIGKILL');
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const name of this.names) {
      spawnSync('ip', ['link', 'del', this.hostLink(name)]);
      spawnSync('ip', ['netns', 'del', this.namespace(name)]);
    }
    spawnSync('ip', ['link', 'del', this.bridge]);
  }

  private build(): void {
    run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${this.bridgeIp}/24`, 'dev', this.bridge]);
    run('ip', ['link', 'set', this.bridge, 'up']);
    for (const name of this.names) {
      const ns = this.namespace(name);
      run('ip', ['netns', 'add', ns]);
      run('ip', ['link', 'add', this.hostLink(name), 'type', 'veth', 'peer', 'name', this.peerLink(name)]);
      run('ip', ['link', 'set', this.peerLink(name), 'netns', ns]);
      run('ip', ['link', 'set', this.hostLink(name), 'master', this.bridge]);
      run('ip', ['link', 'set', this.hostLink(name), 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${this.ip(name)}/24`, 'dev', this.peerLink(name)]);
      run('ip', ['-n', ns, 'link', 'set', this.peerLink(name), 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  private pids(name: string): number[] {
    const out = spawnSync('ip', ['netns', 'pids', this.namespace(name)], { encoding: 'utf8' }).stdout ?? '';
    return out.split('\n').filter(Boolean).map(Number);
  }

  private index(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`no host ${name}`);
    return i;
  }

  private namespace(name: string): string {
    return `shardstore-${this.tag}-${name}`;
  }

  // Interface names are at most 15 characters.
  private get bridge(): string {
    return `ssbr${this.tag}`;
  }

  private hostLink(name: string): string {
    return `ss${this.tag}h${this.index(name)}`;
  }

  private peerLink(name: string): string {
    return `ss${this.tag}p${this.index(name)}`;
  }
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${(result.stderr || result.error?.message || '').trim()}`);
}
