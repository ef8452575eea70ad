import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayAccess, permits } from './bucket-access.js';
import type { AccessKey, Bucket, BucketAccess } from './records.js';

const key = (admin: boolean): AccessKey => ({ accessKey: 'SSK', secretKey: 's', name: '', createdAt: 0, admin });
const bucket = (publicRead: boolean): Bucket => ({ name: 'b', createdAt: 0, publicRead });

test('bucket access: owner includes write includes read, and nothing permits nothing', () => {
  const levels: (BucketAccess | undefined)[] = [undefined, 'read', 'write', 'owner'];
  const table = levels.map((held) => (['read', 'write', 'owner'] as const).map((needed) => permits(held, needed)));
  assert.deepEqual(table, [[false, false, false], [true, false, false], [true, true, false], [true, true, true]]);
});

test('bucket access: administrators do all, keys what they were granted, anonymous only object reads of public-read buckets', () => {
  const base = { granted: undefined, bucket: bucket(false), needed: 'read' as const, objectRead: true };
  assert.equal(mayAccess({ ...base, key: key(true), needed: 'owner', objectRead: false }), true);
  assert.equal(mayAccess({ ...base, key: key(false) }), false, 'no grant, private bucket');
  assert.equal(mayAccess({ ...base, key: key(false), granted: 'read' }), true);
  assert.equal(mayAccess({ ...base, key: key(false), granted: 'read', needed: 'write', objectRead: false }), false);
  assert.equal(mayAccess({ ...base, key: undefined }), false, 'anonymous, private bucket');
  assert.equal(mayAccess({ ...base, key: undefined, bucket: bucket(true) }), true, 'anonymous GET of a public-read bucket');
  assert.equal(mayAccess({ ...base, key: undefined, bucket: bucket(true), objectRead: false }), false, 'anonymous listing or tagging read');
  assert.equal(mayAccess({ ...base, key: undefined, bucket: bucket(true), needed: 'write', objectRead: false }), false);
  assert.equal(mayAccess({ ...base, key: key(false), bucket: bucket(true) }), true, 'a key without a grant reads public objects too');
});
