import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { MultipartPartsError } from '../core/errors.js';
import type { MultipartUpload, UploadedPart } from '../domain/records.js';
import { assembleMultipart } from './multipart.js';

const upload: MultipartUpload = { id: 'u', bucket: 'b', key: 'k', contentType: 'video/mp4', headers: { 'x-amz-meta-a': '1' }, createdAt: 1 };
const scheme = { dataShards: 6, parityShards: 2, blockSize: 262144 };
const part = (partNo: number, content: string): UploadedPart => ({
  uploadId: 'u', partNo, size: content.length, etag: createHash('md5').update(content).digest('hex'),
  sha256: createHash('sha256').update(content).digest('hex'), scheme, shards: [{ index: 0, nodeId: 'n', shardId: `s${partNo}`, size: 1 }], createdAt: 2,
});
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof MultipartPartsError);
    return error.reason;
  }
  assert.fail('no error');
};

test('a completion takes the named parts in order, at their offsets, with S3\'s md5-of-md5s ETag', () => {
  const parts = [part(1, 'aaaaa'), part(2, 'bbb'), part(4, 'cc')];
  const object = assembleMultipart(upload, parts, [{ partNo: 1, etag: parts[0]!.etag }, { partNo: 4, etag: `${parts[2]!.etag.toUpperCase()}` }], 5);
  assert.deepEqual(object.parts.map((p) => [p.partNo, p.offset, p.size, p.shards[0]!.shardId]), [[1, 0, 5, 's1'], [2, 5, 2, 's4']]);
  assert.equal(object.size, 7);
  // S3's multipart ETag (e.g. "d8e8fca2dc0f896fd7cb4cb0031ba249-2"): MD5 over the parts' binary MD5s.
  const binary = Buffer.concat([createHash('md5').update('aaaaa').digest(), createHash('md5').update('cc').digest()]);
  assert.equal(object.etag, `${createHash('md5').update(binary).digest('hex')}-2`);
  assert.match(object.sha256, /^[0-9a-f]{64}-2$/);
  assert.equal(object.contentType, 'video/mp4');
  assert.deepEqual(object.headers, { 'x-amz-meta-a': '1' });
  assert.equal(object.id, upload.id, 'the object carries its upload\'s id, so a repeated completion finds it');
});

test('a completion refuses unknown parts, wrong ETags, wrong order and small parts', () => {
  const parts = [part(1, 'aaaaa'), part(2, 'bb'), part(3, 'c')];
  assert.equal(reasonOf(() => assembleMultipart(upload, parts, [{ partNo: 9, etag: parts[0]!.etag }], 1)), 'InvalidPart');
  assert.equal(reasonOf(() => assembleMultipart(upload, parts, [{ partNo: 1, etag: parts[1]!.etag }], 1)), 'InvalidPart');
  assert.equal(reasonOf(() => assembleMultipart(upload, parts, [{ partNo: 2, etag: parts[1]!.etag }, { partNo: 1, etag: parts[0]!.etag }], 1)), 'InvalidPartOrder');
  assert.equal(reasonOf(() => assembleMultipart(upload, parts, [{ partNo: 1, etag: parts[0]!.etag }, { partNo: 1, etag: parts[0]!.etag }], 1)), 'InvalidPartOrder');
  assert.equal(reasonOf(() => assembleMultipart(upload, parts, [{ partNo: 2, etag: parts[1]!.etag }, { partNo: 3, etag: parts[2]!.etag }], 5)), 'EntityTooSmall');
  // The last part may be small.
  assert.equal(assembleMultipart(upload, parts, [{ partNo: 1, etag: parts[0]!.etag }, { partNo: 3, etag: parts[2]!.etag }], 5).size, 6);
});
