import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalCluster } from '../helpers/local-cluster.js';

const run = promisify(execFile);

/**
 * The S3 clients people use, unchanged, from Debian's packages (`.ci/run` installs them): aws-cli, rclone
 * and s3cmd, each copying a multipart-sized file and a directory tree up and back down.
 */
describe('aws-cli, rclone and s3cmd against the S3 API', () => {
  let cluster: LocalCluster;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const big = randomBytes(24 * 1024 * 1024 + 3);
  const files: Record<string, Buffer> = { 'a.txt': Buffer.from('alpha\n'), 'sub/b.bin': randomBytes(70_000), 'sub/deeper/c d.txt': Buffer.from('spaces too\n') };

  const cli = async (file: string, args: string[]) => {
    try {
      return (await run(file, args, { env, cwd: work, maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string };
      assert.fail(`${file} ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
    }
  };
  const tree = (dir: string) => Object.fromEntries(Object.keys(files).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
  const expectedTree = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, data.toString('base64')]));

  before(async () => {
    cluster = await LocalCluster.start(8);
    work = mkdtempSync(join(tmpdir(), 'shardstore-clients-'));
    writeFileSync(join(work, 'big.bin'), big);
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(join(work, 'tree', name, '..'), { recursive: true });
      writeFileSync(join(work, 'tree', name), data);
    }
    const { accessKey, secretKey, region } = cluster.state.s3;
    // Only what the clients need: no user configuration, no CA bundles or profiles of the machine.
    env = { PATH: process.env.PATH, HOME: work, AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: secretKey, AWS_DEFAULT_REGION: region, AWS_PAGER: '' };
  });
  after(async () => {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('aws-cli: mb, multipart cp up and down, sync, ls, head-object, rm --recursive, rb', async () => {
    const aws = (...args: string[]) => cli('/usr/bin/aws', ['--endpoint-url', cluster.state.s3.url, '--no-cli-pager', ...args]);
    await aws('s3', 'mb', 's3://aws-cli');
    await aws('s3', 'cp', '--no-progress', join(work, 'big.bin'), 's3://aws-cli/big/big.bin', '--metadata', 'owner=ann', '--content-type', 'application/x-test');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'aws-cli', '--key', 'big/big.bin')) as { ETag: string; ContentLength: number; Metadata: Record<string, string>; ContentType: string };
    assert.equal(head.ContentLength, big.length);
    assert.match(head.ETag, /-4"$/, 'aws-cli uploaded it in 8 MiB parts');
    assert.deepEqual(head.Metadata, { owner: 'ann' });
    assert.equal(head.ContentType, 'application/x-test');
    await aws('s3', 'cp', '--no-progress', 's3://aws-cli/big/big.bin', join(work, 'aws-back.bin'));
    assert.ok(readFileSync(join(work, 'aws-back.bin')).equals(big));
    await aws('s3', 'sync', '--no-progress', join(work, 'tree'), 's3://aws-cli/tree');
    const listing = await aws('s3', 'ls', '--recursive', 's3://aws-cli/tree/');
    assert.deepEqual(listing.trim().split('\n').map((l) => l.split(/\s+/).slice(3).join(' ')).sort(), Object.keys(files).map((n) => `tree/${n}`).sort());
    await aws('s3', 'sync', '--no-progress', 's3://aws-cli/tree', join(work, 'aws-tree'));
    assert.deepEqual(tree(join(work, 'aws-tree')), expectedTree);
    await aws('s3', 'rm', '--recursive', 's3://aws-cli');
    await aws('s3', 'rb', 's3://aws-cli');
    assert.ok(!(await aws('s3', 'ls')).includes('aws-cli'));
  });

  test('rclone: mkdir, copy, check (MD5), cat, sync, purge', async () => {
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    const conf = join(work, 'rclone.conf');
    writeFileSync(conf, `[ss]\ntype = s3\nprovider = Other\naccess_key_id = ${accessKey}\nsecret_access_key = ${secretKey}\nendpoint = ${url}\nregion = ${region}\nforce_path_style = true\n`);
    // Multipart above 16 MiB, so the big file goes up in parts.
    const rclone = (...args: string[]) => cli('/usr/bin/rclone', ['--config', conf, '--s3-upload-cutoff', '16M', '--s3-chunk-size', '5M', ...args]);
    await rclone('mkdir', 'ss:rclone-test');
    await rclone('copy', join(work, 'big.bin'), 'ss:rclone-test/');
    await rclone('copy', join(work, 'tree'), 'ss:rclone-test/tree');
    await rclone('check', join(work, 'tree'), 'ss:rclone-test/tree');
    const size = JSON.parse(await rclone('size', '--json', 'ss:rclone-test')) as { count: number; bytes: number };
    assert.deepEqual(size, { ...size, count: 4, bytes: big.length + Object.values(files).reduce((n, f) => n + f.length, 0) });
    await rclone('copyto', 'ss:rclone-test/big.bin', join(work, 'rclone-back.bin'));
    assert.ok(readFileSync(join(work, 'rclone-back.bin')).equals(big));
    await rclone('sync', 'ss:rclone-test/tree', join(work, 'rclone-tree'));
    assert.deepEqual(tree(join(work, 'rclone-tree')), expectedTree);
    await rclone('purge', 'ss:rclone-test');
    assert.ok(!(await rclone('lsd', 'ss:')).includes('rclone-test'));
  });

  test('s3cmd: mb, multipart put, get, info, sync, del, rb', async () => {
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    const host = new URL(url).host;
    const conf = join(work, 's3cfg');
    writeFileSync(conf, `[default]\naccess_key = ${accessKey}\nsecret_key = ${secretKey}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nsignature_v2 = False\nbucket_location = ${region}\n`);
    const s3cmd = (...args: string[]) => cli('/usr/bin/s3cmd', ['-c', conf, ...args]);
    await s3cmd('mb', 's3://s3cmd-test');
    await s3cmd('put', '-q', '--multipart-chunk-size-mb=5', join(work, 'big.bin'), 's3://s3cmd-test/x/big.bin');
    await s3cmd('get', '-q', '--force', 's3://s3cmd-test/x/big.bin', join(work, 's3cmd-back.bin'));
    assert.ok(readFileSync(join(work, 's3cmd-back.bin')).equals(big));
    assert.match(await s3cmd('info', 's3://s3cmd-test/x/big.bin'), /File size: +25165827/);
    await s3cmd('sync', '-q', `${join(work, 'tree')}/`, 's3://s3cmd-test/tree/');
    await s3cmd('sync', '-q', 's3://s3cmd-test/tree/', `${join(work, 's3cmd-tree')}/`);
    assert.deepEqual(tree(join(work, 's3cmd-tree')), expectedTree);
    await s3cmd('del', '-q', '--recursive', '--force', 's3://s3cmd-test');
    await s3cmd('rb', 's3://s3cmd-test');
    assert.ok(!(await s3cmd('ls')).includes('s3cmd-test'));
  });
});
