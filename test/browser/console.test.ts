import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalCluster } from '../helpers/local-cluster.js';
import { pause } from '../helpers/wait.js';

/** Screenshots the tests keep (CI artifacts); README's picture of the cluster view is one of them. */
const OUTPUT = 'test-output';

/** The web console in a real browser: Debian's chromium driven by playwright-core. */
describe('web console in chromium', () => {
  let cluster: LocalCluster;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    // A small declared capacity, so that a few megabytes show on the bars; a scrub slow enough to watch.
    process.env['SHARDSTORE_SCRUB_RATE'] = '4MiB';
    cluster = await LocalCluster.start(8, ['--node-capacity', String(64 * 2 ** 20)]);
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${cluster.url}/photos/2026/img-${i}.jpg`, { method: 'POST', body: randomBytes(600_000 + i * 150_000) });
      assert.equal(res.status, 201);
    }
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });
  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  test('signs in with the admin token and sees all 8 nodes up', async () => {
    await page.goto(`${cluster.url}/_console/`);
    await page.fill('#token', 'wrong');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await page.fill('#token', cluster.state.adminToken);
    await page.click('button[type=submit]');
    await page.locator('tr[data-node]').nth(7).waitFor();
    assert.equal(await page.locator('tr[data-node]').count(), 8);
    assert.equal(await page.locator('tr[data-state="up"]').count(), 8);
    assert.equal(await page.getByTestId('nodes-up').textContent(), '8 / 8');
    assert.equal(await page.getByTestId('objects').textContent(), '12');
    assert.equal(await page.getByTestId('bytes-stored').textContent(), '16.3 MiB');
    assert.equal(await page.getByTestId('dedup-savings').textContent(), '0 B');
    assert.match((await page.getByTestId('fill-spread').textContent())!, /^\d+\.\d %$/);
    assert.equal(await page.getByTestId('redundancy').textContent(), 'survives 2 node losses');
    // The browser's icon request, and the console's own icon.
    const icon = await fetch(`${cluster.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(await page.locator('link[rel=icon]').getAttribute('href'), '/_console/favicon.svg');
    assert.equal((await fetch(`${cluster.url}/_console/favicon.svg`)).status, 200);
    // The nodes report their use with their next heartbeat; the page shows it without a reload.
    await page.locator('tr[data-node] .bar-fill:not([style*="width: 0%"])').nth(7).waitFor();
    assert.ok(!page.url().includes(cluster.state.adminToken), 'the token is not in the URL');
    await page.screenshot({ path: `${OUTPUT}/console-cluster.png`, fullPage: true });
  });

  test('a running job shows its progress and rate, then its last pass', async () => {
    const pass = cluster.admin('/_scrub', { method: 'POST' });
    const running = page.locator('td[data-job-state="running"] .progress');
    await running.waitFor({ timeout: 20_000 });
    assert.match((await running.textContent())!, /^shards checked \d+ · bytes checked [\d.]+ (B|KiB|MiB) .*· [\d.]+ (B|KiB|MiB)\/s$/);
    await page.screenshot({ path: `${OUTPUT}/console-job-running.png`, fullPage: true });
    const done = (await (await pass).json()) as { shardsChecked: number };
    await page.getByText(`shards checked ${done.shardsChecked.toLocaleString('en')} ·`).waitFor();
    assert.equal(await page.locator('td[data-job-state="running"]').count(), 0);
    // Read as a person reads it: bytes in units, times in seconds, no raw field names or long fractions.
    const result = (await page.locator('td[data-job-result="Scrubber"]').textContent())!;
    assert.match(result, /bytes checked [\d.]+ (B|KiB|MiB)/);
    assert.doesNotMatch(result, /\b[a-z]+[A-Z]|\d\.\d{4}/);
  });

  test('objects: upload by the upload control, see it with its shard map, download the same bytes, delete it', async () => {
    const work = mkdtempSync(join(tmpdir(), 'shardstore-console-'));
    const data = randomBytes(3_000_000);
    const file = join(work, 'holiday.bin');
    writeFileSync(file, data);
    await page.goto(`${cluster.url}/_console/#objects`);
    await page.locator('tr[data-folder="photos/"] a').waitFor();
    assert.equal(await page.locator('tr[data-folder="photos/"] svg.icon').count(), 1, 'a drawn folder icon, not an emoji');
    await page.locator('tr[data-folder="photos/"] a').click();
    await page.locator('tr[data-folder="photos/2026/"] a').click();
    await page.locator('tr[data-key="photos/2026/img-0.jpg"]').waitFor();
    await page.getByLabel('Upload files').setInputFiles(file);
    await page.locator('li[data-upload="holiday.bin"][data-done="true"]').waitFor();
    await page.locator('tr[data-key="photos/2026/holiday.bin"] a').click();
    const details = page.getByRole('complementary', { name: 'Object details' });
    await details.locator('tr[data-shard]').nth(7).waitFor();
    assert.equal(await details.locator('tr[data-kind="data"]').count(), 6);
    assert.equal(await details.locator('tr[data-kind="parity"]').count(), 2);
    assert.match((await details.textContent())!, new RegExp(createHash('sha256').update(data).digest('hex')));
    await page.screenshot({ path: `${OUTPUT}/console-objects.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), details.getByRole('link', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'holiday.bin');
    assert.ok(readFileSync((await download.path())!).equals(data), 'the downloaded bytes are the uploaded ones');
    // The same bytes through the public path API: the console used the API any client uses.
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/photos/2026/holiday.bin`)).arrayBuffer()).equals(data));

    page.once('dialog', (dialog) => void dialog.accept());
    await details.getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-key="photos/2026/holiday.bin"]').waitFor({ state: 'detached' });
    assert.equal((await fetch(`${cluster.url}/photos/2026/holiday.bin`)).status, 404);
    rmSync(work, { recursive: true, force: true });
  });

  test('objects: the file store takes an upload and answers with its owner key', async () => {
    const work = mkdtempSync(join(tmpdir(), 'shardstore-console-'));
    const file = join(work, 'report.pdf');
    writeFileSync(file, randomBytes(200_000));
    await page.getByLabel('Namespace').selectOption({ label: 'File store' });
    await page.getByLabel('Upload files').setInputFiles(file);
    const done = page.locator('li[data-upload="report.pdf"][data-done="true"]');
    await done.waitFor();
    assert.match((await done.textContent())!, /owner key [0-9a-f-]+/i);
    // The listing reloads after the upload ends: wait for the row, then check it is the only one.
    await page.locator('table.listing tr[data-key] a', { hasText: 'report.pdf' }).waitFor();
    assert.equal(await page.locator('table.listing tr[data-key]').count(), 1);
    rmSync(work, { recursive: true, force: true });
  });

  test('objects: an upload into an S3 bucket', async () => {
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    const s3 = new S3Client({ endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'media' }));
    const work = mkdtempSync(join(tmpdir(), 'shardstore-console-'));
    const file = join(work, 'clip.mp4');
    const data = randomBytes(500_000);
    writeFileSync(file, data);
    await page.reload();
    await page.getByLabel('Namespace').selectOption({ label: 's3://media' });
    await page.getByLabel('Upload files').setInputFiles(file);
    await page.locator('li[data-upload="clip.mp4"][data-done="true"]').waitFor();
    await page.locator('tr[data-key="clip.mp4"]').waitFor();
    const back = await s3.send(new GetObjectCommand({ Bucket: 'media', Key: 'clip.mp4' }));
    assert.ok(Buffer.from(await back.Body!.transformToByteArray()).equals(data), 'an S3 client reads what the console stored');
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  test('activity: the action log filtered by action and object, and the request rate from the metrics', async () => {
    // An upload cut off by its client: an `abort` record with no object, which the view must show too.
    await new Promise<void>((resolve) => {
      const { hostname, port } = new URL(cluster.url);
      const req = request({ hostname, port, path: '/photos/cut.bin', method: 'POST', headers: { 'content-length': '4000000' } });
      req.on('error', () => resolve());
      req.write(randomBytes(1_000_000), () => setTimeout(() => req.destroy(), 200));
    });
    await page.goto(`${cluster.url}/_console/#activity`);
    await page.locator('table.log tr[data-action="create"]').first().waitFor();
    const abort = page.locator('table.log tr[data-action="abort"]').first();
    await abort.waitFor();
    assert.match((await abort.textContent())!, /—\s*_paths\/photos\/cut\.bin/);
    await page.getByLabel('Action').selectOption('expire');
    await page.locator('table.log tr[data-action="expire"]').first().waitFor();
    await page.locator('table.log tr[data-action="create"]').first().waitFor({ state: 'detached' });
    assert.match((await page.locator('table.log').textContent())!, /holiday\.bin/);
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('Object id').fill('no-such-object');
    await page.getByText('No entries.').waitFor();
    await page.getByLabel('Object id').fill('');
    // Traffic while the view samples the metrics: the requests chart leaves zero.
    const busy = (async () => {
      for (let i = 0; i < 40; i++) await (await fetch(`${cluster.url}/photos/2026/img-${i % 12}.jpg`)).arrayBuffer();
    })();
    const requestsChart = page.locator('.chart').first();
    const deadline = Date.now() + 20_000;
    while (!(Number((await requestsChart.getAttribute('data-latest')) || 0) > 0)) {
      assert.ok(Date.now() < deadline, 'the requests chart showed traffic');
      await pause(200);
    }
    await busy;
    await page.screenshot({ path: `${OUTPUT}/console-activity.png`, fullPage: true });
  });

  test('a node stopped turns down within seconds, without reloading the page', async () => {
    await page.goto(`${cluster.url}/_console/#cluster`);
    await page.locator('tr[data-state="up"]').nth(7).waitFor();
    const victim = cluster.state.nodes[3]!;
    cluster.killNode(3);
    await page.locator(`tr[data-node="${victim.id}"][data-state="down"]`).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('nodes-up').textContent(), '7 / 8');
    await page.getByTestId('redundancy').filter({ hasText: 'survives 1 node loss' }).waitFor();
    assert.match((await page.getByTestId('redundancy-note').textContent())!, /7 live nodes for 6\+2/);
    await page.screenshot({ path: `${OUTPUT}/console-node-down.png`, fullPage: true });
  });

  test('a node added while the cluster runs shows as joining', async () => {
    const id = await cluster.addNode(64 * 2 ** 20);
    await page.locator(`tr[data-node="${id}"][data-activity="joining"]`).waitFor({ timeout: 30_000 });
    assert.match((await page.locator(`tr[data-node="${id}"]`).textContent())!, /up\s*joining/);
    await page.screenshot({ path: `${OUTPUT}/console-node-joining.png`, fullPage: true });
  });

  test('keys: create a key (its secret shown once), allow it on a bucket, make the bucket public-read, deny, delete', async () => {
    await page.goto(`${cluster.url}/_console/#keys`);
    await page.locator(`tr[data-access-key="${cluster.state.s3.accessKey}"]`).waitFor();
    assert.match((await page.locator(`tr[data-access-key="${cluster.state.s3.accessKey}"] [data-testid=rights]`).textContent())!, /administrator/);
    await page.getByLabel('Name').fill('video site');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent())!;
    const [, accessKey, secretKey] = /Secret of (\S+), shown only now: (\S+)/.exec(secret)!;
    const row = page.locator(`tr[data-access-key="${accessKey}"]`);
    await row.waitFor();
    assert.match((await row.textContent())!, /video site/);

    await page.getByLabel('Key', { exact: true }).selectOption(accessKey!);
    await page.getByLabel('Bucket', { exact: true }).selectOption('media');
    await page.getByLabel('Access', { exact: true }).selectOption('write');
    await page.getByRole('button', { name: 'Allow' }).click();
    await row.getByText('media: write').waitFor();
    const keys = (await (await cluster.admin('/_keys')).json()) as { accessKey: string; buckets: Record<string, string> }[];
    assert.deepEqual(keys.find((k) => k.accessKey === accessKey)!.buckets, { media: 'write' });
    const s3 = new S3Client({ endpoint: cluster.state.s3.url, region: cluster.state.s3.region, forcePathStyle: true, credentials: { accessKeyId: accessKey!, secretAccessKey: secretKey! } });
    assert.equal((await s3.send(new GetObjectCommand({ Bucket: 'media', Key: 'clip.mp4' }))).$metadata.httpStatusCode, 200, 'the new key reads with its grant');

    const anonymous = () => fetch(`${cluster.state.s3.url}/media/clip.mp4`, { method: 'HEAD' }).then((r) => r.status);
    assert.equal(await anonymous(), 403);
    // The box shows its new state at the click; the bucket has it once the console's request is answered.
    const saved = () => page.waitForResponse((r) => r.url().endsWith('/_buckets/media/public-read') && r.ok());
    await Promise.all([saved(), page.getByLabel('Public read media').check()]);
    await page.locator('tr[data-bucket="media"] input:checked').waitFor();
    assert.equal(await anonymous(), 200);
    await Promise.all([saved(), page.getByLabel('Public read media').uncheck()]);
    await page.locator('tr[data-bucket="media"] input:not(:checked)').waitFor();
    await page.screenshot({ path: `${OUTPUT}/console-keys.png`, fullPage: true });
    assert.equal(await anonymous(), 403);

    await row.getByRole('button', { name: 'Deny media' }).click();
    await row.getByText('media: write').waitFor({ state: 'detached' });
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'media', Key: 'clip.mp4' })), /InvalidAccessKeyId|does not exist/);
    s3.destroy();
  });

  test('signing out returns to the form, and the console is closed again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    const status = await page.evaluate(async () => (await fetch('/_nodes', { headers: { 'x-shardstore-console': '1' } })).status);
    assert.equal(status, 401);
  });

  test('an S3 access key signs in to the objects view of S3 buckets only', async () => {
    await page.goto(`${cluster.url}/_console/`);
    await page.fill('#access_key', cluster.state.s3.accessKey);
    await page.fill('#secret_key', cluster.state.s3.secretKey);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page.locator('tr[data-key="clip.mp4"]').waitFor();
    assert.deepEqual(await page.locator('header nav a').allTextContents(), ['Objects']);
    assert.deepEqual(await page.getByLabel('Namespace').locator('option').allTextContents(), ['s3://media']);
    assert.equal(await page.getByTestId('identity').textContent(), `access key ${cluster.state.s3.accessKey}`);
    const status = await page.evaluate(async () => (await fetch('/_nodes', { headers: { 'x-shardstore-console': '1' } })).status);
    assert.equal(status, 401);
    await page.screenshot({ path: `${OUTPUT}/console-s3-key.png`, fullPage: true });
  });
});
