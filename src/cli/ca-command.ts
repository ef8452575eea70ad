import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `ca init` puts the CA and where `ca issue` looks for it. */
export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

const days = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 36_500) throw new InvalidArgumentError('a whole number of days from 1 to 36500');
  return n;
};
const list = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/**
 * `shardstore ca init|issue`: a cluster's own certificate authority, so that nodes and gateways on several
 * machines speak TLS to each other and admit only processes holding a certificate it signed.
 */
export function addCaCommand(program: Command): void {
  const ca = program.command('ca').description('a certificate authority for TLS between the cluster\'s machines');
  ca.command('init')
    .description('create a cluster CA in DIR (ca.crt for every process, ca.key to keep safe: it admits processes to the cluster)')
    .argument('<dir>', 'directory for ca.crt and ca.key (created if missing)')
    .option('--name <name>', 'the CA\'s common name', 'Shardstore cluster CA')
    .option('--days <n>', 'validity in days', days, 3650)
    .action(async (dir: string, opts: { name: string; days: number }) =>
      run(async () => {
        const certFile = join(dir, CA_CERT_FILE);
        const keyFile = join(dir, CA_KEY_FILE);
        for (const file of [certFile, keyFile]) if (existsSync(file)) throw new Error(`${file} exists; a CA is made once (every certificate it signed depends on it)`);
        const { createCertificateAuthority, saveCertificatePair } = await import('../platform/certificates.js');
        const pair = await createCertificateAuthority(opts.name, opts.days);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        saveCertificatePair(pair, certFile, keyFile, true);
        say(`created the cluster CA '${opts.name}', valid ${opts.days} days:`, `  ${certFile}  (give it to every node and gateway: --tls-ca)`, `  ${keyFile}  (keep it off the servers: whoever has it can join the cluster)`);
      }),
    );
  ca.command('issue')
    .description('sign a certificate for a node or gateway: NAME.crt and NAME.key')
    .argument('<name>', 'the certificate\'s name (e.g. node-3 or gw1.example.net); its DNS name too unless --dns/--ip are given')
    .requiredOption('--ca <dir>', `directory holding ${CA_CERT_FILE} and ${CA_KEY_FILE}`)
    .option('--dns <names>', 'DNS names peers reach it by (comma-separated, repeatable)', list)
    .option('--ip <addresses>', 'IP addresses peers reach it by (comma-separated, repeatable)', list)
    .option('--out <dir>', 'where to write NAME.crt and NAME.key (default: the CA directory)')
    .option('--days <n>', 'validity in days (never beyond the CA\'s)', days, 825)
    .option('--force', 'replace existing NAME.crt and NAME.key (renewal)')
    .action(async (name: string, opts: { ca: string; dns?: string[]; ip?: string[]; out?: string; days: number; force?: boolean }) =>
      run(async () => {
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name)) throw new Error(`'${name}' is not a usable name (letters, digits, . _ -)`);
        const given = (opts.dns?.length ?? 0) + (opts.ip?.length ?? 0) > 0;
        const names = given ? { dns: opts.dns ?? [], ips: opts.ip ?? [] } : isIP(name) ? { dns: [], ips: [name] } : { dns: [name], ips: [] };
        const caPair = { certPem: readFileSync(join(opts.ca, CA_CERT_FILE), 'utf8'), keyPem: readFileSync(join(opts.ca, CA_KEY_FILE), 'utf8') };
        const out = opts.out ?? opts.ca;
        const certFile = join(out, `${name}.crt`);
        const keyFile = join(out, `${name}.key`);
        if (!opts.force) for (const file of [certFile, keyFile]) if (existsSync(file)) throw new Error(`${file} exists (--force replaces it)`);
        const { issueCertificate, saveCertificatePair } = await import('../platform/certificates.js');
        const pair = await issueCertificate(caPair, name, names, opts.days);
        mkdirSync(out, { recursive: true, mode: 0o700 });
        saveCertificatePair(pair, certFile, keyFile);
        const sans = [...names.dns.map((d) => `DNS:${d}`), ...names.ips.map((i) => `IP:${i}`)].join(', ');
        say(`issued '${name}' for ${sans}, valid ${opts.days} days:`, `  ${certFile}  (--tls-cert)`, `  ${keyFile}  (--tls-key; keep it 0600)`);
      }),
    );
}

function say(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    process.stderr.write(`shardstore ca: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
