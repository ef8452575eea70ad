import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/local-cluster.js';
import { RUNTIME_ENV, RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

const shardstore = (...args: string[]) => spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...RUNTIME_ENV }, timeout: 20_000 });

test('shardstore ca init and ca issue: a cluster CA, certificates for the names given, nothing overwritten by mistake', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-ca-'));
  try {
    const ca = join(dir, 'ca');
    const init = shardstore('ca', 'init', ca, '--name', 'Acme storage CA');
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /created the cluster CA 'Acme storage CA'/);
    assert.equal(statSync(join(ca, 'ca.key')).mode & 0o777, 0o600, 'the CA key is the owner\'s alone');
    const again = shardstore('ca', 'init', ca);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /ca\.crt exists; a CA is made once/);

    const authority = new X509Certificate(readFileSync(join(ca, 'ca.crt')));
    assert.equal(authority.ca, true);
    assert.match(authority.subject, /CN=Acme storage CA/);

    const byName = shardstore('ca', 'issue', 'storage-3.example.net', '--ca', ca);
    assert.equal(byName.status, 0, byName.stderr);
    assert.equal(new X509Certificate(readFileSync(join(ca, 'storage-3.example.net.crt'))).subjectAltName, 'DNS:storage-3.example.net');

    const out = join(dir, 'node-1');
    const explicit = shardstore('ca', 'issue', 'node-1', '--ca', ca, '--ip', '10.0.0.11,10.0.0.12', '--dns', 'node-1.lan', '--out', out, '--days', '30');
    assert.equal(explicit.status, 0, explicit.stderr);
    const cert = new X509Certificate(readFileSync(join(out, 'node-1.crt')));
    assert.equal(cert.subjectAltName, 'DNS:node-1.lan, IP Address:10.0.0.11, IP Address:10.0.0.12');
    assert.ok(cert.verify(authority.publicKey));
    assert.equal(statSync(join(out, 'node-1.key')).mode & 0o777, 0o600);

    const twice = shardstore('ca', 'issue', 'node-1', '--ca', ca, '--ip', '10.0.0.11', '--out', out);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /node-1\.crt exists \(--force replaces it\)/);
    assert.equal(shardstore('ca', 'issue', 'node-1', '--ca', ca, '--ip', '10.0.0.13', '--out', out, '--force').status, 0);
    assert.equal(new X509Certificate(readFileSync(join(out, 'node-1.crt'))).subjectAltName, 'IP Address:10.0.0.13', 'renewed');

    const badIp = shardstore('ca', 'issue', 'n2', '--ca', ca, '--ip', '10.0.0.256');
    assert.equal(badIp.status, 2);
    assert.match(badIp.stderr, /'10\.0\.0\.256' is not an IP address/);
    const noCa = shardstore('ca', 'issue', 'n3', '--ca', join(dir, 'nowhere'));
    assert.equal(noCa.status, 2);
    assert.match(noCa.stderr, /ENOENT.*ca\.crt/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
