import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalCluster } from '../helpers/local-cluster.js';

interface Listing { bucket: string; prefix: string; folders: string[]; objects: { key: string; size: number; etag: string; created: string }[]; next: string | null }

/** The admin browsing endpoints behind the console's object browser, over every namespace. */
describe('browse API: namespaces, folders, one object, download, delete', () => {
  let cluster: LocalCluster;
  let s3: S3Client;
  const browse = async (params: Record<string, string>) => {
    const res = await cluster.admin(`/_browse?${new URLSearchParams(params)}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Listing;
  };

  before(async () => {
    cluster = await LocalCluster.start(8);
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    s3 = new S3Client({ endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true });
    for (const key of ['docs/a.txt', 'docs/b.txt', 'docs/deep/c.txt', 'top.txt', 'pics/1.jpg']) {
      assert.equal((await fetch(`${cluster.url}/${key}`, { method: 'POST', body: `content of ${key}` })).status, 201);
    }
    await s3.send(new CreateBucketCommand({ Bucket: 'media' }));
    await s3.send(new PutObjectCommand({ Bucket: 'media', Key: 'clips/one.mp4', Body: randomBytes(10_000) }));
  });
  after(async () => {
    s3.destroy();
    await cluster.stop();
  });

  test('GET /_buckets names the path store, the file store and every S3 bucket', async () => {
    const { buckets } = (await (await cluster.admin('/_buckets')).json()) as { buckets: { name: string; kind: string }[] };
    assert.deepEqual(buckets.map((b) => [b.name, b.kind]), [['_paths', 'paths'], ['_filestore', 'filestore'], ['media', 's3']]);
  });

  test('GET /_stats: the live objects and their bytes, over every namespace', async () => {
    const stats = (await (await cluster.admin('/_stats')).json()) as { objects: number; bytes: number; sharedBytes: number };
    const paths = ['docs/a.txt', 'docs/b.txt', 'docs/deep/c.txt', 'top.txt', 'pics/1.jpg'];
    assert.deepEqual(stats, { objects: 6, bytes: paths.reduce((n, k) => n + `content of ${k}`.length, 0) + 10_000, sharedBytes: 0 });
    assert.equal((await fetch(`${cluster.url}/_stats`)).status, 401);
  });

  test('a listing shows one level: folders and the objects directly under the prefix, paged', async () => {
    const root = await browse({ bucket: '_paths' });
    assert.deepEqual(root.folders, ['docs/', 'pics/']);
    assert.deepEqual(root.objects.map((o) => o.key), ['top.txt']);
    assert.equal(root.objects[0]!.size, 'content of top.txt'.length);
    const docs = await browse({ bucket: '_paths', prefix: 'docs/' });
    assert.deepEqual([docs.folders, docs.objects.map((o) => o.key)], [['docs/deep/'], ['docs/a.txt', 'docs/b.txt']]);
    const first = await browse({ bucket: '_paths', prefix: 'docs/', limit: '2' });
    assert.deepEqual([first.objects.map((o) => o.key), first.next], [['docs/a.txt', 'docs/b.txt'], 'docs/b.txt']);
    const second = await browse({ bucket: '_paths', prefix: 'docs/', limit: '2', after: first.next! });
    assert.deepEqual([second.folders, second.objects, second.next], [['docs/deep/'], [], null]);
    const media = await browse({ bucket: 'media', prefix: 'clips/' });
    assert.deepEqual(media.objects.map((o) => [o.key, o.size]), [['clips/one.mp4', 10_000]]);
  });

  test('one object: its shard map; download as an attachment; delete', async () => {
    const q = new URLSearchParams({ bucket: 'media', key: 'clips/one.mp4' });
    const details = (await (await cluster.admin(`/_browse/object?${q}`)).json()) as { size: number; parts: { shards: { kind: string }[] }[] };
    assert.equal(details.size, 10_000);
    assert.deepEqual(details.parts[0]!.shards.map((s) => s.kind), [...Array(6).fill('data'), 'parity', 'parity']);
    const download = await cluster.admin(`/_browse/download?${new URLSearchParams({ bucket: '_paths', key: 'docs/deep/c.txt' })}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-disposition'), 'attachment; filename=c.txt');
    assert.equal(await download.text(), 'content of docs/deep/c.txt');
    assert.equal((await cluster.admin(`/_browse/object?${q}`, { method: 'DELETE' })).status, 204);
    assert.equal((await cluster.admin(`/_browse/object?${q}`)).status, 404);
    assert.equal((await cluster.admin(`/_browse/object?${q}`, { method: 'DELETE' })).status, 404);
    const log = (await (await cluster.admin('/_log?action=expire')).json()) as { entries: { key: string }[] };
    assert.ok(log.entries.some((e) => e.key === 'clips/one.mp4'), 'the delete is in the action log');
  });

  test('PUT /_browse/object uploads into an S3 bucket, overwriting like PutObject; the other namespaces refuse', async () => {
    const q = new URLSearchParams({ bucket: 'media', key: 'console/up.bin' });
    const body = randomBytes(300_000);
    const put = await cluster.admin(`/_browse/object?${q}`, { method: 'PUT', body, headers: { 'content-type': 'video/mp4' } });
    assert.equal(put.status, 201);
    assert.equal(((await put.json()) as { size: number }).size, 300_000);
    const again = await cluster.admin(`/_browse/object?${q}`, { method: 'PUT', body: body.subarray(0, 1000) });
    assert.equal(again.status, 201);
    const details = (await (await cluster.admin(`/_browse/object?${q}`)).json()) as { size: number; contentType: string | null };
    assert.equal(details.size, 1000, 'the last writer wins, as in S3');
    const log = (await (await cluster.admin('/_log?action=expire')).json()) as { entries: { key: string; result: string }[] };
    assert.ok(log.entries.some((e) => e.key === 'console/up.bin' && e.result === 'replaced'));
    const paths = await cluster.admin(`/_browse/object?${new URLSearchParams({ bucket: '_paths', key: 'x.bin' })}`, { method: 'PUT', body: 'x' });
    assert.equal(paths.status, 400);
    assert.equal((await cluster.admin(`/_browse/object?${new URLSearchParams({ bucket: 'nope', key: 'x' })}`, { method: 'PUT', body: 'x' })).status, 404);
    assert.equal((await fetch(`${cluster.url}/_browse/object?${q}`, { method: 'PUT', body: 'x' })).status, 401);
  });

  test('bad input: clear 4xx, and nothing without the admin token', async () => {
    const status = async (path: string, init?: RequestInit) => (await cluster.admin(path, init)).status;
    assert.equal(await status('/_browse'), 400);
    assert.equal(await status('/_browse?bucket=nope'), 404);
    assert.equal(await status('/_browse?bucket=_paths&limit=0'), 400);
    assert.equal(await status('/_browse?bucket=_paths&limit=abc'), 400);
    assert.equal(await status(`/_browse?bucket=_paths&prefix=${'x'.repeat(2000)}`), 400);
    assert.equal(await status('/_browse/object?bucket=_paths'), 400);
    assert.equal(await status('/_browse/object?bucket=_paths&key=missing'), 404);
    assert.equal(await status('/_browse', { method: 'POST' }), 405);
    assert.equal(await status('/_buckets', { method: 'DELETE' }), 405);
    for (const path of ['/_buckets', '/_browse?bucket=_paths', '/_browse/object?bucket=_paths&key=top.txt', '/_browse/download?bucket=_paths&key=top.txt']) {
      assert.equal((await fetch(cluster.url + path)).status, 401, path);
    }
    assert.equal((await fetch(`${cluster.url}/_browse/object?bucket=_paths&key=top.txt`, { method: 'DELETE' })).status, 401);
    assert.equal((await fetch(`${cluster.url}/top.txt`)).status, 200, 'still there');
  });
});
