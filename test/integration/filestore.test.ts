import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

interface FileInfo {
  id: string; name: string | null; size: number; content_type: string; sha256: string; etag: string;
  date_create: string; date_expire: string | null; date_delete: string | null; parts: number;
  shards: { index: number; kind: 'data' | 'parity'; node: string; size: number }[]; owner_key?: string;
}
interface LogEntry { action: string; object: string | null; key: string | null; bytes: number; result: string; client: string }

describe('file store API on a real cluster', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  const upload = async (body: RequestInit['body'], headers: Record<string, string> = {}, query = '') => {
    const res = await fetch(`${cluster.url}/filestore${query}`, { method: 'POST', body, headers });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as FileInfo;
  };
  const accessLines = () =>
    readFileSync(join(cluster.dir, 'logs', 'gateway.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { method?: string; path?: string; status?: number; client?: string; duration: number });
  const log = async (query: string) => ((await (await cluster.admin(`/_log?${query}`)).json()) as { entries: LogEntry[] }).entries;

  test('raw upload: generated GUIDs, computed size and digests, name from Content-Disposition', async () => {
    const data = randomBytes(2_500_000);
    const info = await upload(data, { 'content-disposition': 'attachment; filename="quarterly report.pdf"' });
    // The id is a time-ordered UUIDv7 (metadata rows of close uploads share pages), the owner key a random v4.
    assert.match(info.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(info.owner_key!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(info.id, info.owner_key);
    assert.equal(info.size, data.length);
    assert.equal(info.sha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(info.etag, createHash('md5').update(data).digest('hex'));
    assert.equal(info.name, 'quarterly report.pdf');
    assert.equal(info.content_type, 'application/pdf');
    assert.equal(info.parts, 6);
    assert.deepEqual(info.shards.map((s) => s.kind), ['data', 'data', 'data', 'data', 'data', 'data', 'parity', 'parity']);
    assert.equal(new Set(info.shards.map((s) => s.node)).size, 8);
    assert.equal(info.date_expire, null);

    const res = await fetch(`${cluster.url}/filestore/${info.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="quarterly report.pdf"');
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('etag'), `"${info.etag}"`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));

    const fetched = (await (await fetch(`${cluster.url}/fileinfo/${info.id}`)).json()) as FileInfo;
    const { owner_key: ownerKey, ...withoutKey } = info;
    assert.deepEqual(fetched, withoutKey, 'fileinfo is the upload answer without the owner key');
    assert.equal(JSON.stringify(fetched).includes(ownerKey!), false, 'fileinfo never shows the owner key');
  });

  test('odd names survive: UTF-8, quotes, spaces, ?name=, and multipart forms', async () => {
    const utf = await upload(Buffer.from('привет'), { 'content-disposition': "attachment; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%E2%84%961.txt" });
    assert.equal(utf.name, 'отчёт №1.txt');
    const dl = await fetch(`${cluster.url}/filestore/${utf.id}`);
    assert.equal(dl.headers.get('content-disposition'), `attachment; filename="????? ?1.txt"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%E2%84%961.txt`);
    assert.equal(await dl.text(), 'привет');

    // A raw UTF-8 file name in the header (curl -H 'Content-Disposition: …'): the bytes, not Latin-1 mojibake.
    const raw = await new Promise<FileInfo>((resolve, reject) => {
      const { hostname, port } = new URL(cluster.url);
      // Node writes header strings as Latin-1: this one goes out as the UTF-8 bytes of the name.
      const header = Buffer.from('attachment; filename="отчёт 2026.pdf"', 'utf8').toString('latin1');
      const req = request({ hostname, port, path: '/filestore', method: 'POST', headers: { 'content-disposition': header } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text) as FileInfo) : reject(new Error(text))));
      });
      req.on('error', reject);
      req.end('pdf bytes');
    });
    assert.equal(raw.name, 'отчёт 2026.pdf');
    assert.equal(((await (await fetch(`${cluster.url}/fileinfo/${raw.id}`)).json()) as FileInfo).name, 'отчёт 2026.pdf');
    assert.match((await fetch(`${cluster.url}/filestore/${raw.id}`)).headers.get('content-disposition')!, /filename\*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026\.pdf$/);

    const named = await upload(Buffer.from('x'), {}, `?name=${encodeURIComponent('my "best" file.bin')}`);
    assert.equal(named.name, 'my "best" file.bin');
    assert.match((await fetch(`${cluster.url}/filestore/${named.id}`)).headers.get('content-disposition')!, /filename="my \\"best\\" file.bin"/);

    const form = new FormData();
    form.append('comment', 'ignored field');
    const data = randomBytes(1_234_567);
    form.append('file', new Blob([data], { type: 'image/png' }), 'фото "летом".png');
    const info = await upload(form);
    assert.equal(info.name, 'фото "летом".png');
    assert.equal(info.size, data.length, "the file's size, not the form's");
    assert.equal(info.content_type, 'image/png');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/filestore/${info.id}`)).arrayBuffer()).equals(data));

    const empty = new FormData();
    empty.append('only', 'a field');
    const none = await fetch(`${cluster.url}/filestore`, { method: 'POST', body: empty });
    assert.equal(none.status, 400);
    assert.match(((await none.json()) as { message: string }).message, /no file field/);
  });

  test('HEAD, ranges and conditional GET on file store downloads', async () => {
    const data = randomBytes(3_000_000);
    const info = await upload(data);
    const head = await fetch(`${cluster.url}/filestore/${info.id}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    const part = await fetch(`${cluster.url}/filestore/${info.id}`, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000)));
    assert.equal((await fetch(`${cluster.url}/filestore/${info.id}`, { headers: { 'if-none-match': `"${info.etag}"` } })).status, 304);
  });

  test('delete needs the owner key: 400 without, 403 wrong, 200 right, then 410; fileinfo keeps answering', async () => {
    const info = await upload(randomBytes(10_000));
    const del = (q: string, headers: Record<string, string> = {}) => fetch(`${cluster.url}/filestore/${info.id}${q}`, { method: 'DELETE', headers });
    assert.equal((await del('')).status, 400);
    assert.equal((await del('?owner_key=00000000-0000-4000-8000-000000000000')).status, 403);
    assert.equal((await del('', { 'x-owner-key': info.id })).status, 403);
    assert.equal((await fetch(`${cluster.url}/filestore/${info.id}`)).status, 200, 'refused deletes change nothing');
    const ok = await del('', { 'x-owner-key': info.owner_key! });
    assert.equal(ok.status, 200);
    const expired = (await ok.json()) as FileInfo;
    assert.ok(expired.date_expire && Date.parse(expired.date_expire) <= Date.now());
    assert.equal((await fetch(`${cluster.url}/filestore/${info.id}`)).status, 410);
    assert.equal((await fetch(`${cluster.url}/filestore/${info.id}`, { method: 'HEAD' })).status, 410);
    assert.equal((await del(`?owner_key=${info.owner_key}`)).status, 410, 'already expired');
    const after = (await (await fetch(`${cluster.url}/fileinfo/${info.id}`)).json()) as FileInfo;
    assert.equal(after.date_expire, expired.date_expire);
    assert.equal(after.date_delete, null, 'not purged until the cleaner runs');
  });

  test('unknown and malformed ids; path keys reserved for the file store', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal((await fetch(`${cluster.url}/filestore/${unknown}`)).status, 404);
    assert.equal((await fetch(`${cluster.url}/fileinfo/${unknown}`)).status, 404);
    assert.equal((await fetch(`${cluster.url}/filestore/${unknown}?owner_key=${unknown}`, { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${cluster.url}/filestore/not-a-guid`)).status, 400);
    assert.equal((await fetch(`${cluster.url}/fileinfo/not-a-guid`)).status, 400);
    assert.equal((await fetch(`${cluster.url}/filestore/not-a-guid?owner_key=x`, { method: 'DELETE' })).status, 400);
    assert.equal((await fetch(`${cluster.url}/filestore/x/y`, { method: 'POST', body: 'x' })).status, 400, 'not a path-API key');
    // A path-API object is not a file store file, even by its id.
    assert.equal((await fetch(`${cluster.url}/paths/a.txt`, { method: 'POST', body: 'x' })).status, 201);
  });

  test('the cleaner purges an expired file: shards gone, date_delete set, the log has every action', async () => {
    const data = randomBytes(700_000);
    const info = await upload(data);
    await fetch(`${cluster.url}/filestore/${info.id}`).then((r) => r.arrayBuffer());
    await fetch(`${cluster.url}/filestore/${info.id}?owner_key=${info.owner_key}`, { method: 'DELETE' });
    const before = (await cluster.nodes()).reduce((n, x) => n + x.shards, 0);
    assert.equal((await fetch(`${cluster.url}/_gc`, { method: 'POST' })).status, 401);
    const summary = (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { purged: number; purgesPending: number };
    assert.ok(summary.purged >= 1);
    assert.equal(summary.purgesPending, 0);
    assert.equal((await cluster.nodes()).reduce((n, x) => n + x.shards, 0), before - 8 * summary.purged);
    const info2 = (await (await fetch(`${cluster.url}/fileinfo/${info.id}`)).json()) as FileInfo;
    assert.ok(info2.date_delete);
    assert.equal((await fetch(`${cluster.url}/filestore/${info.id}`)).status, 410);

    const entries = await log(`object=${info.id}`);
    assert.deepEqual(entries.map((e) => e.action), ['purge', 'expire', 'download', 'create']);
    assert.deepEqual(entries.map((e) => e.bytes), [data.length, 0, data.length, data.length]);
    assert.ok(entries.every((e) => e.result === 'ok'));
    assert.equal(entries[1]!.client, '127.0.0.1');
    assert.deepEqual((await log(`object=${info.id}&action=download`)).map((e) => e.action), ['download']);
    assert.equal((await log(`object=${info.id}&limit=1`)).length, 1);
    assert.equal((await cluster.admin('/_log?limit=0')).status, 400);
    assert.equal((await cluster.admin('/_log?action=explode')).status, 400);
    assert.equal((await fetch(`${cluster.url}/_log`)).status, 401);
  });

  test('path API uploads and downloads are logged the same way; an aborted upload is logged as abort', async () => {
    assert.equal((await fetch(`${cluster.url}/logged/a.bin`, { method: 'POST', body: randomBytes(5000) })).status, 201);
    await (await fetch(`${cluster.url}/logged/a.bin`)).arrayBuffer();
    const creates = await log('action=create&limit=50');
    const mine = creates.find((e) => e.key === 'logged/a.bin')!;
    assert.equal(mine.bytes, 5000);
    const downloads = await log(`object=${mine.object}`);
    assert.deepEqual(downloads.map((e) => e.action), ['download', 'create']);

    await new Promise<void>((resolve) => {
      const { hostname, port } = new URL(cluster.url);
      const req = request({ hostname, port, path: '/logged/aborted.bin', method: 'POST', headers: { 'content-length': '5000000' } });
      req.on('error', () => resolve());
      req.write(randomBytes(3_000_000), () => setTimeout(() => req.destroy(), 200));
    });
    await waitUntil(async () => (await log('action=abort&limit=50')).some((e) => e.key === 'logged/aborted.bin'), 10_000, 'the abort entry');
    const abort = (await log('action=abort&limit=50')).find((e) => e.key === 'logged/aborted.bin')!;
    assert.ok(abort.bytes > 0 && abort.bytes <= 3_000_000, `bytes received before the abort: ${abort.bytes}`);
    assert.equal(abort.object, null, 'no object was created');
    assert.equal(abort.client, '127.0.0.1', 'the client is known after it has gone');
    // The request log has it too, with nginx's 499 for a client that closed the connection first.
    await waitUntil(async () => accessLines().some((l) => l.path === '/logged/aborted.bin'), 10_000, 'the access log line');
    const line = accessLines().find((l) => l.path === '/logged/aborted.bin')!;
    assert.equal(line.method, 'POST');
    assert.equal(line.status, 499);
    assert.equal(line.client, '127.0.0.1');
    assert.ok(line.duration > 0 && line.duration < 30, `duration ${line.duration}`);
  });
});
