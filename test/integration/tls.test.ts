import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLI, LocalCluster } from '../helpers/local-cluster.js';
import { waitUntil } from '../helpers/wait.js';
import { RUNTIME_ENV, RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';
import { createCertificateAuthority, issueCertificate, saveCertificatePair, type CertificatePair } from '../../src/platform/certificates.js';

interface Answer { status: number; text: string }

/** One HTTPS exchange with exactly the credentials given (none, a stranger's, the cluster's). */
function exchange(url: string, options: { method?: string; secret?: string; body?: string; cert?: CertificatePair; ca: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      ca: options.ca,
      ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
      headers: options.secret ? { authorization: `Bearer ${options.secret}` } : {},
      agent: false,
      timeout: 5000,
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.end(options.body);
  });
}

/** The files of a certificate pair, for a process's --tls-* flags. */
function writePair(dir: string, name: string, pair: CertificatePair): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  saveCertificatePair(pair, cert, key);
  return { cert, key };
}

describe('TLS between the processes of a cluster (shardstore cluster --tls)', () => {
  let cluster: LocalCluster;
  let ca: string;
  let member: CertificatePair;
  let stranger: CertificatePair;
  let strangerCa: CertificatePair;
  const work = mkdtempSync(join(tmpdir(), 'shardstore-tls-'));

  before(async () => {
    cluster = await LocalCluster.start(8, ['--tls']);
    ca = readFileSync(cluster.state.caFile!, 'utf8');
    const tlsDir = join(cluster.dir, 'tls');
    member = { certPem: readFileSync(join(tlsDir, 'node-2.crt'), 'utf8'), keyPem: readFileSync(join(tlsDir, 'node-2.key'), 'utf8') };
    // Another CA's certificate for the same address: valid, but not the cluster's.
    strangerCa = await createCertificateAuthority('another cluster', 30);
    stranger = await issueCertificate(strangerCa, 'intruder', { dns: ['localhost'], ips: ['127.0.0.1'] }, 30);
  });
  after(async () => {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('every process answers HTTPS; objects (streamed and framed shards, the S3 API) go up and come back exact', async () => {
    assert.match(cluster.url, /^https:/);
    assert.match(cluster.state.s3.url, /^https:/);
    const nodes = await cluster.nodes();
    assert.equal(nodes.length, 8);
    for (const node of nodes) assert.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'nodes register their https URLs');
    assert.ok(nodes.every((n) => n.state === 'up'));
    // Both shard channels: a large object streams over HTTPS, a small one's shards go over the framed channel.
    const large = randomBytes(5 * 2 ** 20 + 12_345);
    const small = randomBytes(3000);
    for (const [key, body] of [['tls/large.bin', large], ['tls/small.bin', small]] as const) {
      const put = await fetch(`${cluster.url}/${key}`, { method: 'POST', body });
      assert.equal(put.status, 201, await put.text());
      assert.ok(Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer()).equals(body), `${key} exact`);
    }
    const ranged = await fetch(`${cluster.url}/tls/large.bin`, { headers: { range: 'bytes=1000000-1999999' } });
    assert.equal(ranged.status, 206);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(large.subarray(1_000_000, 2_000_000)));
    // The S3 API on its own port, through the AWS SDK (trusting the cluster CA like this process does).
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    const s3 = new S3Client({ endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'tls-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'tls-bucket', Key: 'k', Body: small }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'tls-bucket', Key: 'k' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(small));
    } finally {
      s3.destroy();
    }
  });

  test('without a certificate the cluster CA signed, nobody reads a shard or registers as a node', async () => {
    const [node] = await cluster.nodes();
    const secret = cluster.state.nodeSecret;
    const status = `${node!.url}/v1/status`;
    // The check is the certificate: with one the cluster signed (and the secret) the node answers.
    assert.equal((await exchange(status, { secret, cert: member, ca })).status, 200);
    // The node secret alone is not enough any more: the handshake fails before a request is read.
    await assert.rejects(exchange(status, { secret, ca }), /certificate required|ECONNRESET|socket hang up/i);
    await assert.rejects(exchange(status, { secret, cert: stranger, ca }), /unknown ca|decrypt error|ECONNRESET|socket hang up|alert/i);
    // Nor does plain HTTP get anything from a node's port.
    const plain = await fetch(status.replace('https:', 'http:'), { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.status, () => 0);
    assert.notEqual(plain, 200);
    // The gateway's port also serves browsers, so it asks for a certificate without demanding one; its
    // registration endpoint refuses a node that showed none, or another CA's.
    const register = `${cluster.url}/_nodes`;
    const report = JSON.stringify({ id: randomUUID(), url: 'https://127.0.0.1:1', capacity: 1e9, used: 0, shards: 0 });
    const bare = await exchange(register, { method: 'POST', secret, body: report, ca });
    assert.equal(bare.status, 403);
    assert.match(bare.text, /showed no certificate/);
    const foreign = await exchange(register, { method: 'POST', secret, body: report, cert: stranger, ca });
    assert.equal(foreign.status, 403);
    assert.match(foreign.text, /not accepted/);
    // A member's certificate with a plain-HTTP URL: the gateway would read shards from it in clear.
    const plainUrl = await exchange(register, { method: 'POST', secret, cert: member, ca, body: report.replace('https://', 'http://') });
    assert.equal(plainUrl.status, 400);
    assert.match(plainUrl.text, /over https only/);
    assert.equal((await cluster.nodes()).length, 8, 'nothing registered');
  });

  test('a node process with another CA\'s certificate, or none, never joins; config mistakes stop a process at start', async () => {
    const strangerFiles = writePair(work, 'intruder', stranger);
    const strangerCaFile = join(work, 'other-ca.crt');
    writeFileSync(strangerCaFile, strangerCa.certPem);
    const caFile = cluster.state.caFile!;
    const start = (name: string, extra: string[]) => {
      const log = join(work, `${name}.log`);
      const args = [...RUNTIME_FLAGS, CLI, 'node', '--dir', join(work, name), '--port', '0', '--gateway', cluster.url, '--heartbeat', '200', ...extra];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...RUNTIME_ENV, SHARDSTORE_NODE_SECRET: cluster.state.nodeSecret } });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      return { child, output: () => output, log };
    };
    const rogue = start('rogue', ['--tls-cert', strangerFiles.cert, '--tls-key', strangerFiles.key, '--tls-ca', strangerCaFile]);
    const clear = start('clear', []);
    try {
      // The rogue node does not trust the gateway's certificate (another CA), nor the gateway its own.
      await waitUntil(() => /heartbeat failed/.test(rogue.output()), 20_000, 'the rogue node to fail its heartbeats');
      await waitUntil(() => /heartbeat failed/.test(clear.output()), 20_000, 'the node without TLS to fail its heartbeats');
      assert.match(rogue.output(), /certificate|verify|self-signed|issuer/i);
      assert.equal((await cluster.nodes()).length, 8, 'neither joined');
    } finally {
      rogue.child.kill('SIGKILL');
      clear.child.kill('SIGKILL');
    }

    const refused = (command: string, args: string[]) => {
      const run = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, command, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...RUNTIME_ENV, SHARDSTORE_NODE_SECRET: 'a-secret-of-enough-length', SHARDSTORE_ADMIN_TOKEN: 'an-admin-token-here' },
        timeout: 20_000,
      });
      assert.equal(run.status, 2, `${command} ${args.join(' ')} exits 2: ${run.stderr}`);
      return run.stderr;
    };
    // The CLI checks an https gateway against the CA it is given, and refuses one it cannot check.
    const file = join(work, 'cli.bin');
    const body = randomBytes(70_000);
    writeFileSync(file, body);
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args, '--gateway', cluster.url], { encoding: 'utf8', env: { ...process.env, ...RUNTIME_ENV }, timeout: 20_000 });
    const unchecked = cli('put', file, 'tls/cli.bin');
    assert.equal(unchecked.status, 2);
    assert.match(unchecked.stderr, /cannot reach the gateway.*(certificate|issuer)/i);
    assert.equal(cli('put', file, 'tls/cli.bin', '--ca', caFile).status, 0);
    const got = cli('get', 'tls/cli.bin', join(work, 'cli.out'), '--ca', caFile);
    assert.equal(got.status, 0, got.stderr);
    assert.ok(readFileSync(join(work, 'cli.out')).equals(body));

    const nodeArgs = ['--dir', join(work, 'never'), '--gateway', cluster.url];
    assert.match(refused('node', [...nodeArgs, '--tls-cert', strangerFiles.cert]), /--tls-key: required[\s\S]*--tls-ca: required/);
    assert.match(refused('node', [...nodeArgs, '--tls-cert', strangerFiles.cert, '--tls-key', strangerFiles.key, '--tls-ca', caFile]), /--tls-cert: .* is not signed by the CA in/);
    const otherKey = writePair(work, 'other', await issueCertificate(strangerCa, 'other', { dns: ['localhost'], ips: [] }, 30)).key;
    assert.match(refused('node', [...nodeArgs, '--tls-cert', strangerFiles.cert, '--tls-key', otherKey, '--tls-ca', strangerCaFile]), /--tls-key: .* is not the key of the certificate/);
    assert.match(refused('gateway', ['--db', `sqlite:${join(work, 'never.db')}`, '--tls-cert', join(work, 'missing.crt'), '--tls-key', strangerFiles.key]), /--tls-cert: cannot read .*missing\.crt/);
  });
});
