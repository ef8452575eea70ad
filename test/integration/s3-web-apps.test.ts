import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import {
  CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCorsCommand, DeleteBucketLifecycleCommand, GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListMultipartUploadsCommand,
  PutBucketCorsCommand, PutBucketLifecycleConfigurationCommand, PutObjectCommand, S3Client,
  GetBucketVersioningCommand, PutBucketVersioningCommand, ListObjectVersionsCommand, PutBucketAclCommand, PutBucketTaggingCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { s3Outcome } from '../helpers/s3-outcome.js';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { pause } from '../helpers/wait.js';
import { openMetadataStore } from '../../src/metadata/open-store.js';
import { enforceLifecycle } from '../../src/jobs/lifecycle-pass.js';
import { AuditRecorder } from '../../src/objects/audit-recorder.js';
import { silentLog } from '../helpers/memory-cluster.js';

/** A form as a browser sends it: the policy's fields, then the file last. */
function formOf(fields: Record<string, string>, file: Buffer, filename = 'photo.png', type = 'image/png'): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file], { type }), filename);
  return form;
}

describe('S3 for web applications: CORS, browser uploads with a signed policy, lifecycle rules', () => {
  let cluster: LocalCluster;
  let s3: S3Client;

  before(async () => {
    cluster = await LocalCluster.start(8);
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    s3 = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
    await s3.send(new CreateBucketCommand({ Bucket: 'site' }));
  });
  after(async () => {
    s3?.destroy();
    await cluster?.stop();
  });

  test('CORS rules: Put/Get/Delete through the SDK, preflights answered from them, headers on actual responses and errors', async () => {
    const url = cluster.state.s3.url;
    assert.equal(await s3Outcome(s3.send(new GetBucketCorsCommand({ Bucket: 'site' }))), '404 NoSuchCORSConfiguration');
    const preflight = (origin: string, method: string, headers?: string) =>
      fetch(`${url}/site/a.txt`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) } });
    assert.equal((await preflight('https://app.example', 'PUT')).status, 403, 'no rules: no cross-origin access');

    const rules = [
      { ID: 'app', AllowedOrigins: ['https://app.example', 'https://*.app.example'], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['content-type', 'x-amz-*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 300 },
      { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
    ];
    await s3.send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: { CORSRules: rules } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: 'site' }));
    assert.deepEqual(got.CORSRules?.map((r) => [r.ID, r.AllowedOrigins, r.AllowedMethods, r.AllowedHeaders, r.ExposeHeaders, r.MaxAgeSeconds]), [
      ['app', rules[0]!.AllowedOrigins, ['GET', 'PUT', 'POST'], ['content-type', 'x-amz-*'], ['ETag'], 300],
      [undefined, ['*'], ['GET'], undefined, undefined, undefined],
    ]);

    const ok = await preflight('https://eu.app.example', 'PUT', 'Content-Type, X-Amz-Date');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://eu.app.example');
    assert.equal(ok.headers.get('access-control-allow-methods'), 'GET, PUT, POST');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, x-amz-date');
    assert.equal(ok.headers.get('access-control-max-age'), '300');
    assert.equal((await preflight('https://eu.app.example', 'PUT', 'authorization')).status, 403, 'a header no rule allows');
    assert.equal((await preflight('https://evil.example', 'PUT')).status, 403);
    assert.equal((await preflight('https://evil.example', 'GET')).headers.get('access-control-allow-origin'), '*');
    assert.equal((await fetch(`${url}/site/a.txt`, { method: 'OPTIONS' })).status, 400, 'a preflight names its origin');
    assert.equal((await fetch(`${url}/nothere/a.txt`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } })).status, 404);

    // Actual requests: a signed GET from the page's origin, and an anonymous one refused, both with the headers.
    await s3.send(new PutObjectCommand({ Bucket: 'site', Key: 'a.txt', Body: 'hello' }));
    s3.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['origin'] = 'https://app.example';
      return next(args);
    }, { step: 'build', name: 'origin' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'site', Key: 'a.txt' }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    s3.middlewareStack.remove('origin');
    const get = await fetch(`${url}/site/a.txt`, { headers: { origin: 'https://app.example' } });
    assert.equal(get.status, 403, 'anonymous, and the bucket is not public-read');
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(get.headers.get('access-control-expose-headers'), 'ETag');
    const denied = await fetch(`${url}/site/a.txt`, { method: 'DELETE', headers: { origin: 'https://app.example' } });
    assert.equal(denied.headers.get('access-control-allow-origin'), null, 'DELETE is in no rule');

    await s3.send(new DeleteBucketCorsCommand({ Bucket: 'site' }));
    assert.equal(await s3Outcome(s3.send(new GetBucketCorsCommand({ Bucket: 'site' }))), '404 NoSuchCORSConfiguration');
    assert.equal(await s3Outcome(s3.send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } }))), '400 InvalidRequest');
  });

  test('presigned POST from the SDK: a form upload within its policy is stored; one outside is refused and stores nothing', async () => {
    const file = randomBytes(300_000);
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: 'site',
      Key: 'user/42/${filename}',
      Conditions: [['starts-with', '$key', 'user/42/'], ['content-length-range', 1, 1_000_000], ['starts-with', '$Content-Type', 'image/'], ['eq', '$success_action_status', '201']],
      Fields: { 'Content-Type': 'image/png', success_action_status: '201' },
      Expires: 600,
    });
    // The SDK turns a key ending in ${filename} into a starts-with condition; the browser's file name completes it.
    const posted = await fetch(url, { method: 'POST', body: formOf(fields, file) });
    assert.equal(posted.status, 201, await posted.clone().text());
    const xml = await posted.text();
    assert.match(xml, /<PostResponse[^>]*><Location>http:[^<]+\/site\/user\/42\/photo.png<\/Location><Bucket>site<\/Bucket><Key>user\/42\/photo.png<\/Key><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><\/PostResponse>/);
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'site', Key: 'user/42/photo.png' }));
    assert.equal(stored.ContentType, 'image/png');
    assert.equal(createHash('sha256').update(await stored.Body!.transformToByteArray()).digest('hex'), createHash('sha256').update(file).digest('hex'));

    // A policy whose key condition is a prefix: ${filename} takes the browser's file name.
    const open = await createPresignedPost(s3, { Bucket: 'site', Key: 'user/42/${filename}', Conditions: [['starts-with', '$key', 'user/42/'], ['content-length-range', 10, 1000]], Expires: 600 });
    const openFields = { ...open.fields };
    const refused = async (changes: Record<string, string>, body: Buffer, filename?: string) => {
      const res = await fetch(open.url, { method: 'POST', body: formOf({ ...openFields, ...changes }, body, filename) });
      return `${res.status} ${/<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1] ?? ''}`.trim();
    };
    assert.equal(await refused({}, randomBytes(500), 'cat.png'), '204', 'default: 204 No Content');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'site', Key: 'user/42/cat.png' }))).ContentLength, 500);
    assert.equal(await refused({}, randomBytes(1001), 'big.png'), '400 EntityTooLarge');
    assert.equal(await refused({}, randomBytes(5), 'small.png'), '400 EntityTooSmall');
    assert.equal(await refused({ 'x-amz-meta-owner': 'eve' }, randomBytes(50)), '403 AccessDenied', 'a field the policy does not name');
    assert.equal(await refused({ 'x-amz-signature': '0'.repeat(64) }, randomBytes(50)), '403 SignatureDoesNotMatch');
    assert.equal(await refused({ policy: Buffer.from('{"expiration":"2020-01-01T00:00:00Z","conditions":[]}').toString('base64') }, randomBytes(50)), '403 SignatureDoesNotMatch', 'a policy changed after signing');
    const keyless = Object.fromEntries(Object.entries(openFields).filter(([name]) => name !== 'key'));
    const res = await fetch(open.url, { method: 'POST', body: formOf(keyless, randomBytes(50)) });
    assert.equal(res.status, 400);
    const anonymous = await fetch(open.url, { method: 'POST', body: formOf({ key: 'user/42/x' }, randomBytes(50)) });
    assert.equal(anonymous.status, 403, 'no policy, no signature: anonymous, and the bucket takes no anonymous writes');
    for (const name of ['big.png', 'small.png', 'x']) {
      assert.equal(await s3Outcome(s3.send(new HeadObjectCommand({ Bucket: 'site', Key: `user/42/${name}` }))), '404 NotFound', `${name} was not stored`);
    }

    // success_action_redirect: 303 to the page with bucket, key and ETag.
    const redirect = await createPresignedPost(s3, { Bucket: 'site', Key: 'r.txt', Fields: { success_action_redirect: 'https://app.example/done?x=1' }, Expires: 60 });
    const back = await fetch(redirect.url, { method: 'POST', body: formOf(redirect.fields, Buffer.from('redirected'), 'r.txt', 'text/plain'), redirect: 'manual' });
    assert.equal(back.status, 303);
    const location = new URL(back.headers.get('location')!);
    assert.equal(location.origin + location.pathname, 'https://app.example/done');
    assert.deepEqual([location.searchParams.get('x'), location.searchParams.get('bucket'), location.searchParams.get('key')], ['1', 'site', 'r.txt']);
    assert.match(location.searchParams.get('etag')!, /^"[0-9a-f]{32}"$/);
  });

  test('a form refused in the middle of its file is read to its end: the answer arrives and the connection serves the next request', async () => {
    const open = await createPresignedPost(s3, { Bucket: 'site', Key: 'user/7/${filename}', Conditions: [['starts-with', '$key', 'user/7/'], ['content-length-range', 1, 1000]], Expires: 600 });
    const boundary = 'shardstore-test-boundary';
    const fields = Object.entries(open.fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('');
    const head = `${fields}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const file = randomBytes(200_000);
    const tail = `\r\n--${boundary}--\r\n`;
    const target = new URL(open.url);
    const socket = connect(Number(target.port), target.hostname);
    await once(socket, 'connect');
    let received = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => (closed = true));
    try {
      socket.write(`POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${Buffer.byteLength(head) + file.length + tail.length}\r\n\r\n${head}`);
      socket.write(file);
      await waitUntil(() => received.includes('</Error>'), 10_000, 'the answer to the refused upload');
      assert.match(received, /^HTTP\/1\.1 400 [^]*<Code>EntityTooLarge<\/Code>/);
      // The browser is still sending when the answer comes: the end of its form must not meet a closed socket.
      await pause(200);
      assert.equal(closed, false, `the connection is still open: ${received}`);
      socket.write(tail);
      socket.write(`GET /site/user/7/big.bin HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
      await waitUntil(() => (received.match(/HTTP\/1\.1 \d{3}/g) ?? []).length === 2 || closed, 10_000, 'the answer to the next request');
      assert.equal(received.match(/HTTP\/1\.1 (\d{3})/g)?.at(1), 'HTTP/1.1 403', 'the next request on the connection is answered (anonymous: 403)');
    } finally {
      socket.destroy();
    }
    assert.equal(await s3Outcome(s3.send(new HeadObjectCommand({ Bucket: 'site', Key: 'user/7/big.bin' }))), '404 NotFound', 'nothing stored');
  });

  test('lifecycle rules: Put/Get/Delete through the SDK; enforced at the midnight after their days, with the cleaner\'s time shifted', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' }));
    assert.equal(await s3Outcome(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'logs' }))), '404 NoSuchLifecycleConfiguration');
    await s3.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: 'logs',
      LifecycleConfiguration: {
        Rules: [
          { ID: 'old-app-logs', Status: 'Enabled', Filter: { Prefix: 'app/' }, Expiration: { Days: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          { ID: 'scratch', Status: 'Enabled', Filter: { Tag: { Key: 'tier', Value: 'scratch' } }, Expiration: { Days: 3 } },
          { ID: 'off', Status: 'Disabled', Filter: { And: { Prefix: 'keep/', Tags: [{ Key: 'a', Value: 'b' }] } }, Expiration: { Days: 1 } },
        ],
      },
    }));
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'logs' }))).Rules!;
    assert.deepEqual(rules.map((r) => [r.ID, r.Status, r.Expiration?.Days, r.AbortIncompleteMultipartUpload?.DaysAfterInitiation]), [
      ['old-app-logs', 'Enabled', 1, 1], ['scratch', 'Enabled', 3, undefined], ['off', 'Disabled', 1, undefined],
    ]);
    assert.equal(rules[0]!.Filter?.Prefix, 'app/');
    assert.deepEqual(rules[1]!.Filter?.Tag, { Key: 'tier', Value: 'scratch' });
    assert.deepEqual(rules[2]!.Filter?.And, { Prefix: 'keep/', Tags: [{ Key: 'a', Value: 'b' }] });
    const refusal = (Rules: unknown) => s3Outcome(s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'logs', LifecycleConfiguration: { Rules } as never })));
    assert.equal(await refusal([{ ID: 'x', Status: 'Enabled', Filter: { Prefix: '' } }]), '400 InvalidArgument', 'no action');
    assert.equal(await refusal([{ ID: 'x', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 0 } }]), '400 InvalidArgument');
    assert.equal(await refusal([{ ID: 'x', Status: 'Enabled', Filter: { Prefix: '' }, Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] }]), '501 NotImplemented');

    for (const key of ['app/1.log', 'app/2.log', 'keep/1.log', 'tmp/1']) {
      await s3.send(new PutObjectCommand({ Bucket: 'logs', Key: key, Body: randomBytes(4000), ...(key === 'tmp/1' ? { Tagging: 'tier=scratch' } : {}) }));
    }
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'logs', Key: 'app/big.log' }));
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: 'logs', Key: 'tmp/1' }))).TagSet, [{ Key: 'tier', Value: 'scratch' }]);

    // The cleaner's lifecycle step against the cluster's own metadata, its clock two days on.
    const metadata = await openMetadataStore(`sqlite:${join(cluster.dir, 'meta.db')}`, { migrate: false });
    const audit = new AuditRecorder(metadata.audit, silentLog);
    try {
      const day = 86_400_000;
      const shifted = Math.ceil((Date.now() + day) / day) * day + 60_000;
      assert.deepEqual(await enforceLifecycle(metadata, audit, silentLog, shifted), { expired: 2, aborted: 1 });
      assert.deepEqual(await enforceLifecycle(metadata, audit, silentLog, shifted + 2 * day), { expired: 1, aborted: 0 }, 'the scratch rule has three days');
      await audit.flush();
    } finally {
      await metadata.close();
    }
    for (const key of ['app/1.log', 'app/2.log', 'tmp/1']) assert.equal(await s3Outcome(s3.send(new HeadObjectCommand({ Bucket: 'logs', Key: key }))), '404 NotFound', key);
    assert.equal(await s3Outcome(s3.send(new HeadObjectCommand({ Bucket: 'logs', Key: 'keep/1.log' }))), 'ok', 'its rule is disabled');
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'logs' }))).Uploads, undefined, `${upload.UploadId} was aborted`);
    // The gateway's cleaner then frees the expired objects' shards, as after a DELETE.
    const pass = (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { purged: number; freedShards: number };
    assert.equal(pass.purged, 3);

    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: 'logs' }));
    assert.equal(await s3Outcome(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'logs' }))), '404 NoSuchLifecycleConfiguration');
  });

  test('what is not implemented says so: versioning (never enabled), ACLs, bucket tagging', async () => {
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: 'site' }));
    assert.equal(versioning.Status, undefined, 'a bucket never versioned');
    assert.equal(await s3Outcome(s3.send(new PutBucketVersioningCommand({ Bucket: 'site', VersioningConfiguration: { Status: 'Enabled' } }))), '501 NotImplemented');
    assert.equal(await s3Outcome(s3.send(new ListObjectVersionsCommand({ Bucket: 'site' }))), '501 NotImplemented');
    assert.equal(await s3Outcome(s3.send(new PutBucketAclCommand({ Bucket: 'site', ACL: 'public-read' }))), '501 NotImplemented');
    assert.equal(await s3Outcome(s3.send(new PutBucketTaggingCommand({ Bucket: 'site', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }))), '501 NotImplemented');
  });
});
