import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  CreateBucketCommand, DeleteBucketCorsCommand, GetObjectCommand, PutBucketCorsCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { LocalCluster } from '../helpers/local-cluster.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * A web application on another origin than the S3 API, in Debian's chromium: it uploads and downloads
 * with presigned URLs through CORS, and uploads with an HTML form signed by a POST policy.
 */
describe('S3 from a web page on another origin, in chromium', () => {
  let cluster: LocalCluster;
  let s3: S3Client;
  let site: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  /** The HTML the application's server answers with, set by each test. */
  let html = '<!doctype html><title>app</title>';

  before(async () => {
    cluster = await LocalCluster.start(8);
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    // Presigned URLs without the SDK's checksum of an empty body, which a browser's PUT would not match.
    s3 = new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'webapp' }));
    site = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url?.startsWith('/done') ? '<!doctype html><title>done</title><p id="done">uploaded</p>' : html);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    site?.close();
    s3?.destroy();
    await cluster?.stop();
  });

  /** Runs fetches in the page: a presigned PUT of `text`, then a presigned GET; what the page could see. */
  const roundTrip = async (key: string, text: string) => {
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'webapp', Key: key, ContentType: 'text/plain' }), { expiresIn: 300 });
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'webapp', Key: key }), { expiresIn: 300 });
    await page.goto(`${origin}/`);
    return page.evaluate(async ({ put, get, text }) => {
      try {
        const up = await fetch(put, { method: 'PUT', body: text, headers: { 'content-type': 'text/plain' } });
        const down = await fetch(get);
        return { put: up.status, etag: up.headers.get('etag'), get: down.status, body: await down.text() };
      } catch (error) {
        return { error: String(error) };
      }
    }, { put, get, text });
  };

  test('with a CORS rule for its origin the page uploads and downloads, and reads the exposed ETag; without, the browser blocks it', async () => {
    const blocked = await roundTrip('notes/blocked.txt', 'never stored');
    assert.match(String((blocked as { error?: string }).error), /TypeError: Failed to fetch/, 'the preflight is refused');

    await s3.send(new PutBucketCorsCommand({
      Bucket: 'webapp',
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['content-type'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }] },
    }));
    const done = await roundTrip('notes/hello.txt', 'hello from the page');
    assert.equal((done as { error?: string }).error, undefined);
    assert.equal((done as { put: number }).put, 200);
    assert.match(String((done as { etag: string }).etag), /^"[0-9a-f]{32}"$/);
    assert.deepEqual([(done as { get: number }).get, (done as { body: string }).body], [200, 'hello from the page']);
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'webapp', Key: 'notes/hello.txt' }));
    assert.equal(await stored.Body!.transformToString(), 'hello from the page');
    assert.equal(stored.ContentType, 'text/plain');

    await s3.send(new DeleteBucketCorsCommand({ Bucket: 'webapp' }));
    const after = await roundTrip('notes/after.txt', 'blocked again');
    assert.match(String((after as { error?: string }).error), /Failed to fetch/);
  });

  test('an HTML form with a signed policy uploads the chosen file and returns to the application', async () => {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: 'webapp',
      Key: 'avatars/${filename}',
      Conditions: [['starts-with', '$key', 'avatars/'], ['content-length-range', 1, 64 * 1024], ['starts-with', '$Content-Type', 'image/']],
      Fields: { success_action_redirect: `${origin}/done`, 'Content-Type': 'image/png' },
      Expires: 300,
    });
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('\n');
    html = `<!doctype html><title>upload</title>
      <form action="${escapeHtml(url)}" method="post" enctype="multipart/form-data">
        ${inputs}
        <label>Avatar <input type="file" name="file"></label>
        <button type="submit">Upload</button>
      </form>`;
    await page.goto(`${origin}/`);
    const picture = Buffer.from('\x89PNG\r\n\x1a\n a small picture');
    await page.getByLabel('Avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture });
    await Promise.all([page.waitForURL(/\/done\?/), page.click('button[type=submit]')]);
    const back = new URL(page.url());
    assert.deepEqual([back.searchParams.get('bucket'), back.searchParams.get('key')], ['webapp', 'avatars/me.png']);
    assert.equal(await page.locator('#done').textContent(), 'uploaded');
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'webapp', Key: 'avatars/me.png' }));
    assert.deepEqual(Buffer.from(await stored.Body!.transformToByteArray()), picture);
    assert.equal(stored.ContentType, 'image/png');
    assert.equal(back.searchParams.get('etag'), stored.ETag);
  });
});
