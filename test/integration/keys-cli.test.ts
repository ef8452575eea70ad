import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'shardstore-keys-'));
const db = `sqlite:${join(dir, 'meta.db')}`;
const run = (...args: string[]) => spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], { encoding: 'utf8' });
after(() => rmSync(dir, { recursive: true, force: true }));

test('shardstore keys: create, list, delete against the metadata store', () => {
  const unmigrated = run('keys', 'list', '--db', db);
  assert.equal(unmigrated.status, 2);
  assert.match(unmigrated.stderr, /shardstore migrate --db sqlite:/);
  assert.equal(run('migrate', '--db', db).status, 0);

  const created = run('keys', 'create', '--db', db, '--name', 'backup job', '--json');
  assert.equal(created.status, 0, created.stderr);
  const key = JSON.parse(created.stdout) as { accessKey: string; secretKey: string; name: string };
  assert.match(key.accessKey, /^SS[A-Z2-7]{18}$/);
  assert.match(key.secretKey, /^[A-Za-z0-9_-]{40}$/);
  assert.equal(key.name, 'backup job');
  const text = run('keys', 'create', '--db', db);
  assert.match(text.stdout, /^access key {2}SS[A-Z2-7]{18}\nsecret key {2}\S{40}\n$/);

  const listed = JSON.parse(run('keys', 'list', '--db', db, '--json').stdout) as { accessKey: string; name: string }[];
  assert.equal(listed.length, 2);
  assert.equal(listed[0]!.accessKey, key.accessKey);
  assert.ok(!run('keys', 'list', '--db', db).stdout.includes(key.secretKey), 'list never shows secrets');

  const named = JSON.parse(run('keys', 'create', 'uploader', '--admin', '--db', db, '--json').stdout) as { name: string; admin: boolean; accessKey: string };
  assert.deepEqual([named.name, named.admin], ['uploader', true]);
  assert.equal(run('keys', 'delete', named.accessKey, '--db', db).status, 0);
  assert.equal(key.name, 'backup job');

  // Rights: checked words, unknown keys and buckets refused with an exit code that says so.
  const allowed = run('keys', 'allow', key.accessKey, 'photos', 'write', '--db', db);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.match(run('keys', 'list', '--db', db).stdout, new RegExp(`^${key.accessKey} {2}\\S+ {2}photos:write {2}backup job$`, 'm'));
  const wrongWord = run('keys', 'allow', key.accessKey, 'photos', 'everything', '--db', db);
  assert.equal(wrongWord.status, 2);
  assert.match(wrongWord.stderr, /read, write, owner/);
  assert.equal(run('keys', 'allow', 'SSNOSUCHKEY', 'photos', 'read', '--db', db).status, 1);
  assert.equal(run('keys', 'deny', key.accessKey, 'photos', '--db', db).status, 0);
  assert.deepEqual((JSON.parse(run('keys', 'list', '--db', db, '--json').stdout) as { buckets: object }[])[0]!.buckets, {});
  const noBucket = run('buckets', 'public-read', 'photos', 'on', '--db', db);
  assert.equal(noBucket.status, 1);
  assert.match(noBucket.stderr, /no bucket photos/);
  assert.equal(run('buckets', 'public-read', 'photos', 'maybe', '--db', db).status, 2);

  assert.equal(run('keys', 'delete', key.accessKey, '--db', db).status, 0);
  assert.equal(run('keys', 'delete', key.accessKey, '--db', db).status, 1);
  assert.equal((JSON.parse(run('keys', 'list', '--db', db, '--json').stdout) as unknown[]).length, 1);
});
