import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalCluster } from '../helpers/local-cluster.js';

/** The console's sign-in and what its session opens, over plain HTTP against a real cluster. */
describe('web console: sign-in and session', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(async () => {
    await cluster.stop();
  });

  const signIn = (token: string) =>
    fetch(`${cluster.url}/_console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
  const session = async () => {
    const res = await signIn(cluster.state.adminToken);
    assert.equal(res.status, 303);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };

  test('without a session: the sign-in form only, and nothing of the console or its data', async () => {
    const page = await fetch(`${cluster.url}/_console/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/_console\/session">/);
    assert.doesNotMatch(html, /<script/, 'the sign-in page runs no script');
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
    assert.equal((await fetch(`${cluster.url}/_console`, { redirect: 'manual' })).headers.get('location'), '/_console/');
    for (const path of ['/_console/index.html', '/_console/assets/index.js', '/_console/anything']) {
      assert.equal((await fetch(cluster.url + path)).status, 401, path);
    }
    assert.equal((await fetch(`${cluster.url}/_nodes`, { headers: { 'x-shardstore-console': '1' } })).status, 401);
  });

  test('a wrong token is refused with the form again and no cookie', async () => {
    const res = await signIn('not-the-token');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
    assert.match(await res.text(), /That is not the admin token/);
    assert.equal((await signIn('')).status, 401);
    const huge = await fetch(`${cluster.url}/_console/session`, { method: 'POST', body: `token=${'x'.repeat(10_000)}` });
    assert.equal(huge.status, 400);
  });

  test('the admin token opens a signed, HttpOnly, SameSite=Strict session that serves the console', async () => {
    const res = await signIn(cluster.state.adminToken);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/_console/');
    const setCookie = res.headers.get('set-cookie')!;
    assert.match(setCookie, /^shardstore_console=\d+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    assert.ok(!setCookie.includes(cluster.state.adminToken), 'the cookie carries no secret');
    const cookie = setCookie.split(';')[0]!;
    const app = await fetch(`${cluster.url}/_console/`, { headers: { cookie } });
    assert.equal(app.status, 200);
    const html = await app.text();
    assert.match(html, /<div id="app"><\/div>/);
    const script = /src="(\/_console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the built page loads its bundle from /_console/assets/');
    const bundle = await fetch(cluster.url + script, { headers: { cookie } });
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type')!, /^text\/javascript/);
    assert.match(bundle.headers.get('cache-control')!, /immutable/);
    assert.equal((await fetch(cluster.url + script)).status, 401, 'the bundle without the cookie');
    assert.equal((await fetch(`${cluster.url}/_console/assets/nope.js`, { headers: { cookie } })).status, 404);
    assert.equal((await fetch(`${cluster.url}/_console/%E0%A4%A`, { headers: { cookie } })).status, 400);
  });

  test('the session reaches the admin API only with the console header, and a tampered cookie nothing', async () => {
    const cookie = await session();
    const nodes = await fetch(`${cluster.url}/_nodes`, { headers: { cookie, 'x-shardstore-console': '1' } });
    assert.equal(nodes.status, 200);
    assert.equal(((await nodes.json()) as { nodes: unknown[] }).nodes.length, 8);
    assert.equal((await fetch(`${cluster.url}/_nodes`, { headers: { cookie } })).status, 401, 'a cross-site form sends no such header');
    assert.equal((await fetch(`${cluster.url}/_gc`, { headers: { cookie, 'x-shardstore-console': '1' } })).status, 200);
    assert.equal((await fetch(`${cluster.url}/_metrics`, { headers: { cookie, 'x-shardstore-console': '1' } })).status, 200);
    const [name, value] = cookie.split('=') as [string, string];
    const [expiry, mac] = value.split('.') as [string, string];
    const forged = `${name}=${Number(expiry) + 1000}.${mac}`;
    assert.equal((await fetch(`${cluster.url}/_nodes`, { headers: { cookie: forged, 'x-shardstore-console': '1' } })).status, 401);
    assert.match(await (await fetch(`${cluster.url}/_console/`, { headers: { cookie: forged } })).text(), /name="token"/);
  });

  test('an S3 access key signs in to the objects of S3 buckets only', async () => {
    const { accessKey, secretKey } = cluster.state.s3;
    const signInWithKey = (secret: string) =>
      fetch(`${cluster.url}/_console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_key: accessKey, secret_key: secret }).toString(),
        redirect: 'manual',
      });
    const wrong = await signInWithKey('not-the-secret');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const res = await signInWithKey(secretKey);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/_console/#objects');
    const setCookie = res.headers.get('set-cookie')!;
    assert.ok(setCookie.startsWith(`shardstore_console=${accessKey}.`) && !setCookie.includes(secretKey));
    const cookie = setCookie.split(';')[0]!;
    const headers = { cookie, 'x-shardstore-console': '1' };
    assert.equal((await fetch(`${cluster.url}/_console/`, { headers: { cookie } })).status, 200);
    assert.deepEqual(await (await fetch(`${cluster.url}/_console/whoami`, { headers })).json(), { role: 's3', accessKey });
    assert.deepEqual(await (await fetch(`${cluster.url}/_console/whoami`, { headers: { cookie: await session(), 'x-shardstore-console': '1' } })).json(), { role: 'admin' });
    for (const path of ['/_nodes', '/_log', '/_gc', '/_metrics', '/_stats', '/_browse?bucket=_paths', '/_browse?bucket=_filestore']) {
      assert.equal((await fetch(cluster.url + path, { headers })).status, 401, path);
    }
    assert.equal((await cluster.admin('/_nodes')).status, 200);
    const { buckets } = (await (await fetch(`${cluster.url}/_buckets`, { headers })).json()) as { buckets: { kind: string }[] };
    assert.ok(buckets.every((b) => b.kind === 's3'), 'only S3 buckets are listed');
    assert.equal((await fetch(`${cluster.url}/_browse?bucket=nosuchbucket`, { headers })).status, 404);
    assert.equal((await fetch(`${cluster.url}/_browse?bucket=_paths`, { headers: { cookie } })).status, 401, 'the header is needed');
  });

  test('a key that is not an administrator sees in the console the buckets it has rights on, and does only what they allow', async () => {
    const adminJson = (method: string, path: string, body?: unknown) =>
      cluster.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const key = (await (await adminJson('POST', '/_keys', { name: 'console user' })).json()) as { accessKey: string; secretKey: string };
    const signedIn = await fetch(`${cluster.url}/_console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_key: key.accessKey, secret_key: key.secretKey }).toString(),
      redirect: 'manual',
    });
    assert.equal(signedIn.status, 303);
    const headers = { cookie: signedIn.headers.get('set-cookie')!.split(';')[0]!, 'x-shardstore-console': '1' };
    const browse = (method: string, query: string, body?: string) => fetch(`${cluster.url}/_browse${query}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const names = async () => ((await (await fetch(`${cluster.url}/_buckets`, { headers })).json()) as { buckets: { name: string }[] }).buckets.map((b) => b.name);

    const { url, region, accessKey, secretKey } = cluster.state.s3;
    const s3 = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
    for (const bucket of ['mine', 'theirs']) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'seed.txt', Body: 'seed' }));
    }
    s3.destroy();
    assert.deepEqual(await names(), [], 'no rights, no buckets');
    assert.equal((await browse('GET', '?bucket=mine')).status, 403);
    assert.equal((await adminJson('PUT', `/_keys/${key.accessKey}/buckets/mine`, { access: 'read' })).status, 200);
    assert.deepEqual(await names(), ['mine']);
    assert.equal((await browse('GET', '?bucket=mine')).status, 200);
    assert.equal((await browse('GET', '/download?bucket=mine&key=seed.txt')).status, 200);
    assert.equal((await browse('PUT', '/object?bucket=mine&key=new.txt', 'new')).status, 403, 'read is not write');
    assert.equal((await browse('DELETE', '/object?bucket=mine&key=seed.txt')).status, 403);
    assert.equal((await browse('GET', '?bucket=theirs')).status, 403);
    assert.equal((await adminJson('PUT', `/_keys/${key.accessKey}/buckets/mine`, { access: 'write' })).status, 200);
    assert.equal((await browse('PUT', '/object?bucket=mine&key=new.txt', 'new')).status, 201);
    assert.equal((await browse('DELETE', '/object?bucket=mine&key=seed.txt')).status, 204);
    assert.equal((await adminJson('DELETE', `/_keys/${key.accessKey}`)).status, 204);
    assert.equal((await browse('GET', '?bucket=mine')).status, 401, 'a deleted key\'s session ends');
  });

  test('signing out clears the cookie; the token appears in no log', async () => {
    const res = await fetch(`${cluster.url}/_console/sign-out`, { method: 'POST', headers: { cookie: await session() }, redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie')!, /^shardstore_console=; .*Max-Age=0/);
    const log = readFileSync(join(cluster.dir, 'logs', 'gateway.log'), 'utf8');
    assert.match(log, /POST \/_console\/session 303/);
    assert.ok(!log.includes(cluster.state.adminToken), 'the admin token is not in the gateway log');
  });
});
