import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bucketNameProblem, s3KeyProblem } from './s3-names.js';

test('bucket names follow the S3 rules, and none can start with _', () => {
  for (const ok of ['photos', 'my-bucket.2026', 'a1b', 'x'.repeat(63)]) assert.equal(bucketNameProblem(ok), null, ok);
  for (const bad of ['ab', 'x'.repeat(64), 'Photos', '_paths', '_filestore', '-abc', 'abc-', 'a..b', 'a.-b', '192.168.1.1', 'xn--abc', 'my_bucket', 'a b c', 'abc/']) {
    assert.notEqual(bucketNameProblem(bad), null, bad);
  }
  fc.assert(fc.property(fc.string(), (name) => {
    if (bucketNameProblem(name) === null) assert.match(name, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
  }));
});

test('keys are 1..1024 bytes of well-formed UTF-8 without NUL', () => {
  assert.equal(s3KeyProblem('photos/2026/a.jpg'), null);
  assert.equal(s3KeyProblem('é'.repeat(512)), null, '1024 bytes');
  assert.match(s3KeyProblem('é'.repeat(512) + 'x')!, /1024 bytes/);
  assert.match(s3KeyProblem('')!, /empty/);
  assert.match(s3KeyProblem('a\0b')!, /NUL/);
  assert.match(s3KeyProblem('a\uD800b')!, /UTF-8/);
});
