import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { checksumAlgorithmOf, ChecksumTap } from './s3-checksums.js';
import { storedHeaders } from './s3-headers.js';
import { S3Error } from './s3-error.js';
import { parseXmlBody } from './s3-xml.js';

test('checksums over pieces match the standard check values, base64 big-endian as S3 sends them', () => {
  const tap = new ChecksumTap(new Set(['crc32', 'crc32c', 'sha1', 'sha256'] as const));
  const data = Buffer.from('123456789');
  tap.update(data.subarray(0, 4));
  tap.update(data.subarray(4));
  const digests = tap.digests(createHash('sha256').update(data).digest('hex'));
  assert.equal(digests['x-amz-checksum-crc32'], Buffer.from('cbf43926', 'hex').toString('base64'));
  assert.equal(digests['x-amz-checksum-crc32c'], Buffer.from('e3069283', 'hex').toString('base64'));
  assert.equal(digests['x-amz-checksum-sha1'], createHash('sha1').update(data).digest('base64'));
  assert.equal(digests['x-amz-checksum-sha256'], createHash('sha256').update(data).digest('base64'));
  assert.deepEqual(new ChecksumTap(new Set()).digests('00'), {});
});

test('checksum header names: known algorithms, ignored non-checksums, refused unknown ones', () => {
  assert.equal(checksumAlgorithmOf('x-amz-checksum-crc32c'), 'crc32c');
  assert.equal(checksumAlgorithmOf('X-Amz-Checksum-SHA256'), 'sha256');
  assert.equal(checksumAlgorithmOf('x-amz-checksum-mode'), undefined);
  assert.equal(checksumAlgorithmOf('content-type'), undefined);
  assert.throws(() => checksumAlgorithmOf('x-amz-checksum-crc64nvme'), (e: unknown) => e instanceof S3Error && e.code === 'InvalidRequest');
});

test('stored headers: user metadata and the standard ones, without aws-chunked, within 2 KiB', () => {
  assert.deepEqual(
    storedHeaders({ 'x-amz-meta-owner': 'ann', 'content-encoding': 'aws-chunked, gzip', 'cache-control': 'no-cache', 'x-amz-date': 'x', authorization: 'secret' }),
    { 'x-amz-meta-owner': 'ann', 'content-encoding': 'gzip', 'cache-control': 'no-cache' },
  );
  assert.deepEqual(storedHeaders({ 'content-encoding': 'aws-chunked' }), {});
  assert.deepEqual(Object.keys(storedHeaders({ 'x-amz-meta-big': 'x'.repeat(2045) })), ['x-amz-meta-big'], 'exactly 2048 bytes');
  assert.throws(() => storedHeaders({ 'x-amz-meta-big': 'x'.repeat(2046) }), (e: unknown) => e instanceof S3Error && e.code === 'MetadataTooLarge');
});

test('XML bodies: character references as Go and Java clients write them are decoded once', () => {
  const doc = parseXmlBody(Buffer.from('<CompleteMultipartUpload><Part><ETag>&#34;ab&#34;</ETag><Key>a &amp;amp; &#x41;</Key></Part></CompleteMultipartUpload>'));
  assert.deepEqual(doc, { CompleteMultipartUpload: { Part: { ETag: '"ab"', Key: 'a &amp; A' } } });
  assert.throws(() => parseXmlBody(Buffer.from('not xml <<')), (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML');
});
