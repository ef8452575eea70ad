import assert from 'node:assert/strict';
import { test } from 'node:test';
import { s3Target } from './s3-target.js';
import { S3Error } from './s3-error.js';

test('path-style addressing', () => {
  assert.deepEqual(s3Target('127.0.0.1:9000', '/', undefined), { bucket: null, key: null });
  assert.deepEqual(s3Target('127.0.0.1:9000', '/photos', undefined), { bucket: 'photos', key: null });
  assert.deepEqual(s3Target('127.0.0.1:9000', '/photos/', undefined), { bucket: 'photos', key: null });
  assert.deepEqual(s3Target('127.0.0.1:9000', '/photos/2026/a%20b.jpg?x=1', undefined), { bucket: 'photos', key: '2026/a b.jpg' });
  assert.deepEqual(s3Target('h', '/b/a//c/', undefined), { bucket: 'b', key: 'a//c/' });
  assert.deepEqual(s3Target('h', '/b/%F0%9F%98%80', undefined), { bucket: 'b', key: '\u{1F600}' });
  assert.throws(() => s3Target('h', '/b/%FF', undefined), (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI');
});

test('virtual-hosted-style addressing under the configured domain', () => {
  assert.deepEqual(s3Target('photos.s3.local:9000', '/2026/a.jpg', 's3.local'), { bucket: 'photos', key: '2026/a.jpg' });
  assert.deepEqual(s3Target('Photos.S3.Local', '/', 's3.local'), { bucket: 'photos', key: null });
  assert.deepEqual(s3Target('my.bucket.s3.local', '/k', 's3.local'), { bucket: 'my.bucket', key: 'k' });
  assert.deepEqual(s3Target('s3.local:9000', '/photos/k', 's3.local'), { bucket: 'photos', key: 'k' }, 'the bare domain is path style');
  assert.deepEqual(s3Target('photos.s3.local', '/k', undefined), { bucket: 'k', key: null }, 'no domain: path style only');
});
