import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Installs a Debian package when its binary is missing: the benchmarks run real nginx, curl and wrk. */
export function ensureDebianTool(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
