import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/processes/ports.js';

/**
 * A PostgreSQL server of the test's own, in a temp directory on a free port, for tests that restart, kill or
 * starve the database: never the machine's shared server. As root (CI) it runs as the `postgres` user, as
 * PostgreSQL requires; stopped and removed by `destroy`, also when the test failed.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<ThrowawayPostgres> {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql)');
    const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
    const dir = mkdtempSync(join(tmpdir(), 'shardstore-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const pg = new ThrowawayPostgres(dir, await freePort('127.0.0.1'), bin);
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    pg.start();
    return pg;
  }

  /** Starts the server and returns once it accepts connections. */
  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-o', options, '-w', 'start']);
  }

  /** `pg_ctl -m fast restart`: every session is cut, the server comes back at once. */
  restartFast(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'restart']);
  }

  /**
   * The database server dies at once, as in a crash of its container or host: `kill -9` of the postmaster
   * and of every process it had started. Killing the postmaster alone races its fork of a new backend: a
   * child caught between fork and closing its inherited sockets can outlive it, keep serving its session,
   * and hold the listening port so that connects hang and the next start fails — a fault of the harness,
   * not the outage under test.
   */
  async killHard(): Promise<void> {
    const pidFile = join(this.dir, 'data', 'postmaster.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const left = this.backends();
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${left.join(', ')} outlived kill -9`);
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * The server stops answering without closing anything, as a paused VM, a stalled disk or a network
   * partition looks from its clients: SIGSTOP to the postmaster and every backend. Sockets stay open, so
   * only a deadline of the client's own ends a query sent now. `thaw` lets it go on.
   */
  freeze(): void {
    for (const pid of this.backends()) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.backends()) process.kill(pid, 'SIGCONT');
  }

  destroy(): void {
    this.thaw();
    if (existsSync(join(this.dir, 'data', 'postmaster.pid'))) {
      spawnSync(...this.command('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']));
    }
    for (const pid of this.backends()) process.kill(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Processes still running on this data directory. */
  private backends(): number[] {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // Every PostgreSQL process works in its data directory, the postmaster and each backend alike.
        if (readlinkSync(`/proc/${entry}/cwd`) === join(this.dir, 'data')) found.push(Number(entry));
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return found.filter((pid) => pid !== process.pid);
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }

  private run(tool: string, args: string[]): void {
    const [file, argv] = this.command(tool, args);
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}
