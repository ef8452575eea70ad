import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand,
  GetBucketLifecycleConfigurationCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketCorsCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { s3Outcome } from '../helpers/s3-outcome.js';
import { CLI, LocalCluster } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

describe('S3 access keys with rights per bucket, and public-read buckets', () => {
  let cluster: LocalCluster;
  let admin: S3Client;
  let db: string;
  const clients: S3Client[] = [];
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args, '--db', db], { encoding: 'utf8' });
    assert.equal(run.status, 0, `shardstore ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };
  /** A new key that is not an administrator, made with the CLI, and a client signing with it. */
  const keyClient = (name: string) => {
    const key = JSON.parse(cli('keys', 'create', name, '--json')) as { accessKey: string; secretKey: string; admin: boolean };
    assert.equal(key.admin, false);
    const { url, region } = cluster.state.s3;
    const client = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey } });
    clients.push(client);
    return { key: key.accessKey, s3: client };
  };

  before(async () => {
    cluster = await LocalCluster.start(8);
    db = `sqlite:${join(cluster.dir, 'meta.db')}`;
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    admin = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
  });
  after(async () => {
    for (const c of [admin, ...clients]) c?.destroy();
    await cluster.stop();
  });

  test('a key sees and touches only the buckets it is allowed on, as far as it is allowed', async () => {
    await admin.send(new CreateBucketCommand({ Bucket: 'team' }));
    await admin.send(new PutObjectCommand({ Bucket: 'team', Key: 'plan.txt', Body: 'the plan' }));
    const alice = keyClient('alice');
    const get = () => alice.s3.send(new GetObjectCommand({ Bucket: 'team', Key: 'plan.txt' }));
    const put = () => alice.s3.send(new PutObjectCommand({ Bucket: 'team', Key: 'alice.txt', Body: 'mine' }));
    assert.deepEqual((await alice.s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    assert.equal(await s3Outcome(get()), '403 AccessDenied');
    assert.equal(await s3Outcome(alice.s3.send(new ListObjectsV2Command({ Bucket: 'team' }))), '403 AccessDenied');
    assert.equal(await s3Outcome(put()), '403 AccessDenied');
    assert.equal(await s3Outcome(alice.s3.send(new GetObjectCommand({ Bucket: 'nowhere', Key: 'x' }))), '404 NoSuchBucket');

    assert.match(cli('keys', 'allow', alice.key, 'team', 'read'), /read on team/);
    assert.deepEqual((await alice.s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name), ['team']);
    assert.equal(await (await get()).Body!.transformToString(), 'the plan');
    assert.equal(await s3Outcome(alice.s3.send(new GetObjectTaggingCommand({ Bucket: 'team', Key: 'plan.txt' }))), 'ok');
    assert.equal(await s3Outcome(put()), '403 AccessDenied', 'read is not write');

    cli('keys', 'allow', alice.key, 'team', 'write');
    assert.equal(await s3Outcome(put()), 'ok');
    assert.equal(await s3Outcome(alice.s3.send(new DeleteObjectCommand({ Bucket: 'team', Key: 'alice.txt' }))), 'ok');
    assert.equal(await s3Outcome(alice.s3.send(new DeleteBucketCommand({ Bucket: 'team' }))), '403 AccessDenied', 'write is not owner');

    // A bucket a key creates is its own; others (but administrators) see nothing of it.
    const bob = keyClient('bob');
    await alice.s3.send(new CreateBucketCommand({ Bucket: 'alice-own' }));
    await alice.s3.send(new PutObjectCommand({ Bucket: 'alice-own', Key: 'secret.txt', Body: 'hers' }));
    assert.deepEqual((await alice.s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name), ['alice-own', 'team']);
    assert.deepEqual((await bob.s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    assert.ok((await admin.send(new ListBucketsCommand({}))).Buckets!.some((b) => b.Name === 'alice-own'));
    assert.equal(await s3Outcome(bob.s3.send(new CreateBucketCommand({ Bucket: 'alice-own' }))), '409 BucketAlreadyExists');
    assert.equal(await s3Outcome(alice.s3.send(new CreateBucketCommand({ Bucket: 'alice-own' }))), '409 BucketAlreadyOwnedByYou');
    assert.equal(await s3Outcome(bob.s3.send(new GetObjectCommand({ Bucket: 'alice-own', Key: 'secret.txt' }))), '403 AccessDenied');
    // Copying needs read on the source as well as write on the target.
    await bob.s3.send(new CreateBucketCommand({ Bucket: 'bob-own' }));
    assert.equal(await s3Outcome(bob.s3.send(new CopyObjectCommand({ Bucket: 'bob-own', Key: 'stolen.txt', CopySource: 'alice-own/secret.txt' }))), '403 AccessDenied');
    cli('keys', 'allow', bob.key, 'alice-own', 'read');
    assert.equal(await s3Outcome(bob.s3.send(new CopyObjectCommand({ Bucket: 'bob-own', Key: 'shared.txt', CopySource: 'alice-own/secret.txt' }))), 'ok');

    const listed = JSON.parse(cli('keys', 'list', '--json')) as { accessKey: string; admin: boolean; buckets: Record<string, string> }[];
    assert.deepEqual(listed.find((k) => k.accessKey === bob.key)!.buckets, { 'alice-own': 'read', 'bob-own': 'owner' });
    assert.equal(listed.find((k) => k.accessKey === cluster.state.s3.accessKey)!.admin, true, 'the local cluster\'s key is an administrator');

    cli('keys', 'deny', bob.key, 'alice-own');
    assert.equal(await s3Outcome(bob.s3.send(new GetObjectCommand({ Bucket: 'alice-own', Key: 'secret.txt' }))), '403 AccessDenied');
    // The owner deletes its bucket once empty.
    await alice.s3.send(new DeleteObjectCommand({ Bucket: 'alice-own', Key: 'secret.txt' }));
    assert.equal(await s3Outcome(alice.s3.send(new DeleteBucketCommand({ Bucket: 'alice-own' }))), 'ok');
  });

  test('a public-read bucket serves its objects to anyone, and nothing else; off again, it is private', async () => {
    await admin.send(new CreateBucketCommand({ Bucket: 'assets' }));
    await admin.send(new PutObjectCommand({ Bucket: 'assets', Key: 'logo.svg', Body: '<svg/>', ContentType: 'image/svg+xml' }));
    const url = `${cluster.state.s3.url}/assets/logo.svg`;
    assert.equal((await fetch(url)).status, 403);
    assert.match(cli('buckets', 'public-read', 'assets', 'on'), /public-read on/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.equal(await res.text(), '<svg/>');
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${cluster.state.s3.url}/assets/missing.svg`)).status, 404);
    for (const [what, init, target] of [
      ['a listing', {}, '/assets'], ['a PUT', { method: 'PUT', body: 'x' }, '/assets/new.txt'], ['a DELETE', { method: 'DELETE' }, '/assets/logo.svg'],
      ['the tags', {}, '/assets/logo.svg?tagging'], ['the bucket list', {}, '/'],
    ] as const) {
      const denied = await fetch(`${cluster.state.s3.url}${target}`, init);
      assert.equal(denied.status, 403, what);
      assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/, what);
    }
    assert.match(cli('buckets', 'list'), /^assets {2}\S+ {2}public-read$/m);
    cli('buckets', 'public-read', 'assets', 'off');
    assert.equal((await fetch(url)).status, 403);
    assert.equal((await admin.send(new GetObjectCommand({ Bucket: 'assets', Key: 'logo.svg' }))).$metadata.httpStatusCode, 200);
  });

  test('the admin API does what the CLI does: keys with their rights, grants, public-read; bucket settings are the owner\'s', async () => {
    const json = async (res: Response, status: number) => {
      assert.equal(res.status, status, await res.clone().text());
      return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
    };
    const send = (method: string, path: string, body?: unknown) =>
      cluster.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    assert.equal((await fetch(`${cluster.url}/_keys`)).status, 401, 'the admin token is needed');
    const made = (await json(await send('POST', '/_keys', { name: 'web app' }), 201))!;
    assert.equal(made['admin'], false);
    assert.match(String(made['secretKey']), /^[\w-]{40}$/);
    const { url, region } = cluster.state.s3;
    const app = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: String(made['accessKey']), secretAccessKey: String(made['secretKey']) } });
    clients.push(app);

    await admin.send(new CreateBucketCommand({ Bucket: 'shop' }));
    const put = () => app.send(new PutObjectCommand({ Bucket: 'shop', Key: 'cart.json', Body: '{}' }));
    assert.equal(await s3Outcome(put()), '403 AccessDenied');
    assert.deepEqual(await json(await send('PUT', `/_keys/${String(made['accessKey'])}/buckets/shop`, { access: 'write' }), 200), { accessKey: made['accessKey'], bucket: 'shop', access: 'write' });
    assert.equal(await s3Outcome(put()), 'ok');
    const cors = () => app.send(new PutBucketCorsCommand({ Bucket: 'shop', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] } }));
    assert.equal(await s3Outcome(cors()), '403 AccessDenied', 'CORS rules are the owner\'s to set');
    assert.equal(await s3Outcome(app.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'shop' }))), '403 AccessDenied');
    await json(await send('PUT', `/_keys/${String(made['accessKey'])}/buckets/shop`, { access: 'owner' }), 200);
    assert.equal(await s3Outcome(cors()), 'ok');

    const listed = (await (await send('GET', '/_keys')).json()) as { accessKey: string; secretKey?: string; buckets: Record<string, string> }[];
    const entry = listed.find((k) => k.accessKey === made['accessKey'])!;
    assert.deepEqual(entry.buckets, { shop: 'owner' });
    assert.equal(entry.secretKey, undefined, 'a listing never shows secrets');
    assert.equal((await fetch(`${url}/shop/cart.json`)).status, 403);
    assert.deepEqual(await json(await send('PUT', '/_buckets/shop/public-read', { publicRead: true }), 200), { bucket: 'shop', publicRead: true });
    assert.equal((await fetch(`${url}/shop/cart.json`)).status, 200);

    // Bad input: a clear 400 or 404, and nothing changes.
    await json(await send('PUT', `/_keys/${String(made['accessKey'])}/buckets/shop`, { access: 'admin' }), 400);
    await json(await send('PUT', `/_keys/${String(made['accessKey'])}/buckets/nope`, { access: 'read' }), 404);
    await json(await send('PUT', '/_keys/SSNOSUCHKEY/buckets/shop', { access: 'read' }), 404);
    await json(await send('POST', '/_keys', '{not json'), 400);
    await json(await send('POST', '/_keys', { admin: 'yes' }), 400);
    await json(await send('PUT', '/_buckets/nope/public-read', { publicRead: true }), 404);
    assert.equal(await s3Outcome(put()), 'ok', 'still an owner');

    await json(await send('DELETE', `/_keys/${String(made['accessKey'])}/buckets/shop`), 204);
    assert.equal(await s3Outcome(put()), '403 AccessDenied');
    await json(await send('DELETE', `/_keys/${String(made['accessKey'])}`), 204);
    assert.equal(await s3Outcome(put()), '403 InvalidAccessKeyId');
    await json(await send('DELETE', `/_keys/${String(made['accessKey'])}`), 404);
  });
});
