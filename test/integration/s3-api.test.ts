import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand,
  CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand,
  DeleteObjectTaggingCommand, GetBucketTaggingCommand, GetObjectTaggingCommand, PutObjectTaggingCommand,
  HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsCommand,
  ListObjectsV2Command, ListPartsCommand, PutObjectCommand, S3Client, S3ServiceException, UploadPartCommand,
  UploadPartCopyCommand, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { LocalCluster } from '../helpers/local-cluster.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const MiB = 1024 * 1024;

/** The S3 error a call fails with: its code and HTTP status. */
async function s3Error(call: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    return { name: error.name, status: error.$metadata.httpStatusCode };
  }
  assert.fail('the call succeeded');
}

describe('S3 API with the AWS SDK', () => {
  let cluster: LocalCluster;
  let s3: S3Client;
  let config: S3ClientConfig;
  const bodyOf = async (bucket: string, key: string, range?: string) => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
    return { res, bytes: Buffer.from(await res.Body!.transformToByteArray()) };
  };

  before(async () => {
    cluster = await LocalCluster.start(8);
    const { url, accessKey, secretKey, region } = cluster.state.s3;
    config = { endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true };
    s3 = new S3Client(config);
  });
  after(async () => {
    s3.destroy();
    await cluster.stop();
  });

  test('buckets: create, head, list, refuse bad names and duplicates, delete only when empty', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'beta' }));
    assert.equal((await s3.send(new HeadBucketCommand({ Bucket: 'alpha' }))).$metadata.httpStatusCode, 200);
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    assert.deepEqual(names.filter((n) => n === 'alpha' || n === 'beta'), ['alpha', 'beta']);
    assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'alpha' }))), { name: 'BucketAlreadyOwnedByYou', status: 409 });
    assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), { name: 'InvalidBucketName', status: 400 });
    assert.equal((await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })))).status, 404);
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'missing-bucket', Key: 'k' }))), { name: 'NoSuchBucket', status: 404 });
    await s3.send(new PutObjectCommand({ Bucket: 'beta', Key: 'x', Body: 'x' }));
    assert.deepEqual(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'beta' }))), { name: 'BucketNotEmpty', status: 409 });
    await s3.send(new DeleteObjectCommand({ Bucket: 'beta', Key: 'x' }));
    assert.equal((await s3.send(new DeleteBucketCommand({ Bucket: 'beta' }))).$metadata.httpStatusCode, 204);
    assert.equal((await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'beta' })))).status, 404);
  });

  test('objects: put with metadata, get whole and ranged, head, conditionals, overwrite, delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
    const data = randomBytes(3 * MiB + 17);
    const put = await s3.send(new PutObjectCommand({
      Bucket: 'objects', Key: 'dir/photo one.jpg', Body: data, ContentType: 'image/jpeg', CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="p.jpg"', Metadata: { owner: 'ann', 'trip-id': '42' },
    }));
    assert.equal(put.ETag, `"${md5(data)}"`);
    const { res, bytes } = await bodyOf('objects', 'dir/photo one.jpg');
    assert.equal(sha(bytes), sha(data));
    assert.equal(res.ContentType, 'image/jpeg');
    assert.equal(res.CacheControl, 'max-age=60');
    assert.equal(res.ContentDisposition, 'attachment; filename="p.jpg"');
    assert.deepEqual(res.Metadata, { owner: 'ann', 'trip-id': '42' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg' }));
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ETag, put.ETag);
    const ranged = await bodyOf('objects', 'dir/photo one.jpg', 'bytes=1000-2999999');
    assert.equal(ranged.res.ContentRange, `bytes 1000-2999999/${data.length}`);
    assert.equal(sha(ranged.bytes), sha(data.subarray(1000, 3_000_000)));
    assert.equal(sha((await bodyOf('objects', 'dir/photo one.jpg', 'bytes=-10')).bytes), sha(data.subarray(-10)));
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg', Range: `bytes=${data.length}-` }))), { name: 'InvalidRange', status: 416 });
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg', IfNoneMatch: put.ETag })))).status, 304);
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg', IfMatch: '"0123"' }))), { name: 'PreconditionFailed', status: 412 });
    assert.equal((await bodyOf('objects', 'dir/photo one.jpg')).res.$metadata.httpStatusCode, 200);
    const matched = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg', IfMatch: put.ETag }));
    assert.equal(sha(await matched.Body!.transformToByteArray()), sha(data));

    // S3 objects are overwritten in place (last writer wins), unlike the write-once path API.
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg', Body: 'second version' }));
    assert.equal((await bodyOf('objects', 'dir/photo one.jpg')).bytes.toString(), 'second version');
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'empty', Body: '' }));
    assert.equal((await bodyOf('objects', 'empty')).bytes.length, 0);

    await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg' }));
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/photo one.jpg' }))), { name: 'NoSuchKey', status: 404 });
    assert.equal((await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'never-there' }))).$metadata.httpStatusCode, 204);
  });

  test('streamed bodies (aws-chunked with a trailing checksum), Content-MD5 and x-amz-checksum-* are verified', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sums' }));
    const data = randomBytes(6 * MiB + 5);
    // A stream of unknown length makes the SDK send STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer.
    await s3.send(new PutObjectCommand({ Bucket: 'sums', Key: 'streamed', Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ContentLength: data.length }));
    assert.equal(sha((await bodyOf('sums', 'streamed')).bytes), sha(data));
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'sums', Key: `sum-${algorithm}`, Body: data, ChecksumAlgorithm: algorithm }));
      assert.ok(put[`Checksum${algorithm}`], `${algorithm} echoed`);
      // The SDK verifies the body against the stored checksum on a whole GET.
      const got = await s3.send(new GetObjectCommand({ Bucket: 'sums', Key: `sum-${algorithm}`, ChecksumMode: 'ENABLED' }));
      assert.equal(got[`Checksum${algorithm}`], put[`Checksum${algorithm}`]);
      assert.equal(sha(await got.Body!.transformToByteArray()), sha(data));
    }
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: 'sums', Key: 'bad-md5', Body: data, ContentMD5: wrongMd5 }))), { name: 'BadDigest', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: 'sums', Key: 'bad-crc', Body: data, ChecksumCRC32: 'AAAAAA==' }))), { name: 'BadDigest', status: 400 });
    await s3.send(new PutObjectCommand({ Bucket: 'sums', Key: 'good-md5', Body: data, ContentMD5: createHash('md5').update(data).digest('base64') }));
    for (const key of ['bad-md5', 'bad-crc']) assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'sums', Key: key })))).status, 404, 'nothing stored');
  });

  test('listings: V2 with prefix, delimiter, continuation tokens, start-after, url encoding; V1 with markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'c d/é.txt', 'c d/x+y', 'z', ...Array.from({ length: 12 }, (_, i) => `many/${String(i).padStart(2, '0')}`)];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

    const all: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 4, ContinuationToken: token }));
      all.push(...(page.Contents ?? []).map((c) => c.Key!));
      assert.equal(page.KeyCount, page.Contents?.length ?? 0);
      token = page.NextContinuationToken;
      pages += 1;
    } while (token);
    assert.deepEqual(all, sorted);
    assert.equal(pages, Math.ceil(keys.length / 4));

    const rolled = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    assert.deepEqual(rolled.Contents!.map((c) => c.Key), ['a.txt', 'z']);
    assert.deepEqual(rolled.CommonPrefixes!.map((p) => p.Prefix), ['b/', 'c d/', 'many/']);
    const inB = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'b/', Delimiter: '/' }));
    assert.deepEqual(inB.Contents!.map((c) => c.Key), ['b/1', 'b/2']);
    assert.deepEqual(inB.CommonPrefixes!.map((p) => p.Prefix), ['b/c/']);
    const entry = inB.Contents![0]!;
    assert.equal(entry.Size, 3);
    assert.equal(entry.ETag, `"${md5(Buffer.from('b/1'))}"`);
    const paged = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2 }));
    assert.equal(paged.IsTruncated, true);
    const rest = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 10, ContinuationToken: paged.NextContinuationToken }));
    assert.deepEqual([...rest.CommonPrefixes!.map((p) => p.Prefix), ...rest.Contents!.map((c) => c.Key)], ['c d/', 'many/', 'z']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'many/10' }));
    assert.deepEqual(after.Contents!.map((c) => c.Key), ['many/11', 'z']);
    // Encoded as AWS encodes (a space as +), so the keys are undone with form decoding.
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'c d/', EncodingType: 'url' }));
    assert.deepEqual(encoded.Contents!.map((c) => c.Key), ['c+d/x%2By', 'c+d/%C3%A9.txt']);
    assert.deepEqual(encoded.Contents!.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, ' '))), ['c d/x+y', 'c d/é.txt']);

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Marker: 'b/c/3', MaxKeys: 2 }));
    assert.deepEqual(v1.Contents!.map((c) => c.Key), ['c d/x+y', 'c d/é.txt']);
    assert.equal(v1.IsTruncated, true);
  });

  test('DeleteObjects deletes many keys and reports each', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bulk' }));
    for (const key of ['k1', 'k2', 'k3']) await s3.send(new PutObjectCommand({ Bucket: 'bulk', Key: key, Body: key }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: 'bulk', Delete: { Objects: [{ Key: 'k1' }, { Key: 'k3' }, { Key: 'nope' }] } }));
    assert.deepEqual(res.Deleted!.map((d) => d.Key).sort(), ['k1', 'k3', 'nope']);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: 'bulk' }))).Contents!.map((c) => c.Key), ['k2']);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: 'bulk', Delete: { Objects: [{ Key: 'k2' }], Quiet: true } }));
    assert.equal(quiet.Deleted, undefined);
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'bulk' }))).KeyCount, 0);
  });

  test('CopyObject shares the shards: the copy outlives its deleted and purged source', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
    const data = randomBytes(2 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'src', Body: data, ContentType: 'text/x-src', Metadata: { a: '1' } }));
    const shards = async () => (await cluster.nodes()).reduce((n, node) => n + node.shards, 0);
    await waitUntil(async () => (await shards()) % 8 === 0, 10_000, 'the nodes to report the new shards');
    const usedBefore = await shards();
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: 'copies/src' }));
    assert.equal(copy.CopyObjectResult!.ETag, `"${md5(data)}"`);
    const copied = await bodyOf('copies', 'dst');
    assert.equal(sha(copied.bytes), sha(data));
    assert.equal(copied.res.ContentType, 'text/x-src');
    assert.deepEqual(copied.res.Metadata, { a: '1' });
    const replaced = await s3.send(new CopyObjectCommand({
      Bucket: 'copies', Key: 'renamed', CopySource: '/copies/src', MetadataDirective: 'REPLACE', ContentType: 'text/plain', Metadata: { b: '2' },
    }));
    assert.ok(replaced.CopyObjectResult);
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'renamed' }))).Metadata, { b: '2' });
    assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'src', CopySource: 'copies/src' }))), { name: 'InvalidRequest', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'copies/none' }))), { name: 'NoSuchKey', status: 404 });
    // The nodes, asked live, hold what they held: the copies name the source's shards.
    assert.equal(await shards(), usedBefore, 'copies took no new shards');

    await s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: 'src' }));
    const gc = (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { purged: number; sharedShardsKept: number };
    assert.ok(gc.purged >= 1);
    assert.ok(gc.sharedShardsKept >= 8, 'the purge kept the shards the copies name');
    assert.equal(sha((await bodyOf('copies', 'dst')).bytes), sha(data));
    assert.equal(sha((await bodyOf('copies', 'renamed')).bytes), sha(data));
  });

  test('multipart: a 100 MiB upload with lib-storage, then parts listed, copied, completed, refused and aborted', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multi' }));
    const data = randomBytes(100 * MiB);
    const upload = new Upload({ client: s3, params: { Bucket: 'multi', Key: 'big.bin', Body: Readable.from(chunksOf(data, 1 * MiB)), ContentType: 'application/x-big' }, partSize: 8 * MiB, queueSize: 4 });
    const done = await upload.done();
    assert.match(done.ETag!, /^"[0-9a-f]{32}-13"$/);
    const got = await bodyOf('multi', 'big.bin');
    assert.equal(sha(got.bytes), sha(data));
    assert.equal(got.res.ContentType, 'application/x-big');
    // Ranges across part boundaries (parts are 8 MiB).
    const across = await bodyOf('multi', 'big.bin', `bytes=${8 * MiB - 100}-${16 * MiB + 99}`);
    assert.equal(sha(across.bytes), sha(data.subarray(8 * MiB - 100, 16 * MiB + 100)));

    // By hand: two parts (one copied from big.bin), listed, then completed; the ETag is the MD5 of the MD5s.
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'hand.bin', Metadata: { via: 'hand' } }));
    const first = data.subarray(0, 5 * MiB);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'hand.bin', UploadId, PartNumber: 1, Body: first }));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: 'multi', Key: 'hand.bin', UploadId, PartNumber: 2, CopySource: 'multi/big.bin', CopySourceRange: 'bytes=100-1099' }));
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'multi', Key: 'hand.bin', UploadId }));
    assert.deepEqual(parts.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 5 * MiB, p1.ETag], [2, 1000, p2.CopyPartResult!.ETag]]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'multi' }));
    assert.deepEqual(uploads.Uploads!.map((u) => [u.Key, u.UploadId]), [['hand.bin', UploadId]]);
    assert.deepEqual(await s3Error(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'multi', Key: 'hand.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] },
    }))), { name: 'InvalidPart', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'multi', Key: 'hand.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.CopyPartResult!.ETag }, { PartNumber: 1, ETag: p1.ETag }] },
    }))), { name: 'InvalidPartOrder', status: 400 });
    const completed = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'multi', Key: 'hand.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] },
    }));
    const expectedEtag = createHash('md5').update(Buffer.concat([md5(first), md5(data.subarray(100, 1100))].map((h) => Buffer.from(h, 'hex')))).digest('hex');
    assert.equal(completed.ETag, `"${expectedEtag}-2"`);
    const hand = await bodyOf('multi', 'hand.bin');
    assert.equal(sha(hand.bytes), sha(Buffer.concat([first, data.subarray(100, 1100)])));
    assert.deepEqual(hand.res.Metadata, { via: 'hand' });
    assert.deepEqual(await s3Error(s3.send(new ListPartsCommand({ Bucket: 'multi', Key: 'hand.bin', UploadId }))), { name: 'NoSuchUpload', status: 404 });

    // A part but the last below 5 MiB is refused; an aborted upload is gone with its parts.
    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'small.bin' }));
    const s1 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small.bin', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
    const s2 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small.bin', UploadId: small.UploadId, PartNumber: 2, Body: 'tiny' }));
    assert.deepEqual(await s3Error(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'multi', Key: 'small.bin', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] },
    }))), { name: 'EntityTooSmall', status: 400 });
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'small.bin', UploadId: small.UploadId }));
    assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small.bin', UploadId: small.UploadId, PartNumber: 3, Body: 'x' }))), { name: 'NoSuchUpload', status: 404 });
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'multi' }))).Uploads, undefined);
  });

  test('presigned GET and PUT URLs work without credentials, and expire', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
    const data = randomBytes(100_000);
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'presigned', Key: 'up.bin' }), { expiresIn: 60 });
    assert.equal((await fetch(putUrl, { method: 'PUT', body: data })).status, 200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'presigned', Key: 'up.bin', ResponseContentDisposition: 'attachment; filename="x.bin"' }), { expiresIn: 60 });
    const res = await fetch(getUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="x.bin"');
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(data));
    const tampered = getUrl.replace('up.bin', 'other.bin');
    assert.equal((await fetch(tampered)).status, 403);
    const shortLived = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'presigned', Key: 'up.bin' }), { expiresIn: 1 });
    // X-Amz-Date has whole seconds: the URL expires within one to two seconds of its signing.
    const expired = await waitFor(async () => {
      const res = await fetch(shortLived);
      if (res.status === 200) await res.arrayBuffer();
      return res.status === 200 ? undefined : res;
    }, 'the one-second presigned URL to expire', 10_000, 100);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code>.*expired/);
  });

  test('authentication errors, anonymous requests, and the other namespaces out of reach', async () => {
    const wrongSecret = new S3Client({ ...config, credentials: { accessKeyId: cluster.state.s3.accessKey, secretAccessKey: 'not-the-secret' } });
    const unknownKey = new S3Client({ ...config, credentials: { accessKeyId: 'SSNOSUCHKEY000000000', secretAccessKey: 'x' } });
    try {
      assert.deepEqual(await s3Error(wrongSecret.send(new ListBucketsCommand({}))), { name: 'SignatureDoesNotMatch', status: 403 });
      assert.deepEqual(await s3Error(unknownKey.send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
    }
    const anonymous = await fetch(`${cluster.state.s3.url}/`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
    // A Signature Version 2 presigned URL (aws-cli 1.x `s3 presign`): told what to use, not called anonymous.
    const { accessKey } = cluster.state.s3;
    const sigV2 = await fetch(`${cluster.state.s3.url}/photos/a.jpg?AWSAccessKeyId=${accessKey}&Expires=${Math.floor(Date.now() / 1000) + 600}&Signature=abc%3D`);
    assert.equal(sigV2.status, 400);
    const body = await sigV2.text();
    assert.match(body, /<Code>InvalidRequest<\/Code>/);
    assert.match(body, /signature version 2 is not supported; use Signature Version 4/);
    // An object of the path API is not an S3 object, and its namespace is no bucket name.
    assert.equal((await fetch(`${cluster.url}/ns/file.txt`, { method: 'POST', body: 'path api' })).status, 201);
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: '_paths', Key: 'ns/file.txt' }))), { name: 'NoSuchBucket', status: 404 });
    assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: '_paths' }))), { name: 'InvalidBucketName', status: 400 });
  });

  test('virtual-hosted-style addressing: bucket.localhost', async () => {
    // Resolve every name to loopback, as a DNS wildcard for the S3 domain would.
    type Lookup = (host: string, options: { all?: boolean }, callback: (error: null, address: unknown, family?: number) => void) => void;
    const lookup: Lookup = (_host, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4));
    const agent = new Agent({ lookup } as ConstructorParameters<typeof Agent>[0]);
    const port = new URL(cluster.state.s3.url).port;
    const vhost = new S3Client({ ...config, endpoint: `http://localhost:${port}`, forcePathStyle: false, requestHandler: { httpAgent: agent } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'vhost' }));
      await vhost.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'a/b.txt', Body: 'virtual' }));
      assert.equal((await bodyOf('vhost', 'a/b.txt')).bytes.toString(), 'virtual', 'the path-style client sees the same object');
      const listed = await vhost.send(new ListObjectsV2Command({ Bucket: 'vhost' }));
      assert.deepEqual(listed.Contents!.map((c) => c.Key), ['a/b.txt']);
    } finally {
      vhost.destroy();
      agent.destroy();
    }
  });

  test('AWS behaviours: repeated completion, a part replaced mid-upload, GET by partNumber, presign lifetimes, empty Content-Type and token, url-encoded listings', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'aws-edges' }));
    const a = randomBytes(5 * MiB);
    const b = randomBytes(5 * MiB);
    const tail = randomBytes(300_000);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'aws-edges', Key: 'parts.bin' }));
    const first = await s3.send(new UploadPartCommand({ Bucket: 'aws-edges', Key: 'parts.bin', UploadId, PartNumber: 1, Body: a }));
    // Part 2 is still arriving while part 1 is uploaded again: the later part 1 replaces the earlier.
    const slow = new PassThrough();
    const second = s3.send(new UploadPartCommand({ Bucket: 'aws-edges', Key: 'parts.bin', UploadId, PartNumber: 2, Body: slow, ContentLength: tail.length }));
    slow.write(tail.subarray(0, 1000));
    const again = await s3.send(new UploadPartCommand({ Bucket: 'aws-edges', Key: 'parts.bin', UploadId, PartNumber: 1, Body: b }));
    slow.end(tail.subarray(1000));
    const p2 = await second;
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'aws-edges', Key: 'parts.bin', UploadId }));
    assert.deepEqual(listed.Parts!.map((p) => [p.PartNumber, p.ETag]), [[1, again.ETag], [2, p2.ETag]]);
    assert.deepEqual(await s3Error(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'aws-edges', Key: 'parts.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    }))), { name: 'InvalidPart', status: 400 }, 'the replaced part is gone');
    const complete = () => s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'aws-edges', Key: 'parts.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: again.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    }));
    const done = await complete();
    assert.equal((await complete()).ETag, done.ETag, 'a repeated completion answers success with the same ETag');
    assert.equal(sha((await bodyOf('aws-edges', 'parts.bin')).bytes), sha(Buffer.concat([b, tail])));

    // One part of the object by its number, as a 206 with its place; HEAD tells the part count.
    const part2 = await s3.send(new GetObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', PartNumber: 2 }));
    assert.equal(part2.$metadata.httpStatusCode, 206);
    assert.equal(part2.ContentRange, `bytes ${5 * MiB}-${5 * MiB + tail.length - 1}/${5 * MiB + tail.length}`);
    assert.equal(part2.PartsCount, 2);
    assert.equal(sha(Buffer.from(await part2.Body!.transformToByteArray())), sha(tail));
    const head1 = await s3.send(new HeadObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', PartNumber: 1 }));
    assert.equal(head1.ContentLength, 5 * MiB);
    assert.deepEqual(await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', PartNumber: 3 }))), { name: 'Unknown', status: 416 }, 'a HEAD has no body to name the error');
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', PartNumber: 3 }))), { name: 'InvalidPartNumber', status: 416 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', PartNumber: 1, Range: 'bytes=0-1' }))), { name: 'InvalidRequest', status: 400 });
    await s3.send(new PutObjectCommand({ Bucket: 'aws-edges', Key: 'single.txt', Body: 'one part' }));
    const single = await s3.send(new GetObjectCommand({ Bucket: 'aws-edges', Key: 'single.txt', PartNumber: 1 }));
    assert.equal(single.$metadata.httpStatusCode, 200);
    assert.equal(await single.Body!.transformToString(), 'one part');

    // Once another object holds the key, the upload is over for good.
    await s3.send(new PutObjectCommand({ Bucket: 'aws-edges', Key: 'parts.bin', Body: 'newer' }));
    assert.deepEqual(await s3Error(complete()), { name: 'NoSuchUpload', status: 404 });

    // A presigned lifetime out of range is access denied (the SDK will not sign one, so the URL is edited).
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'aws-edges', Key: 'single.txt' }), { expiresIn: 60 });
    for (const expires of ['0', '-1', '604801']) {
      const res = await fetch(url.replace('X-Amz-Expires=60', `X-Amz-Expires=${expires}`));
      assert.equal(res.status, 403, expires);
      assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
    }

    // A client of its own that edits each request before it is signed.
    const edited = (edit: (request: { headers: Record<string, string>; query: Record<string, string> }) => void) => {
      const client = new S3Client(config);
      client.middlewareStack.add((next) => async (args) => {
        edit(args.request as { headers: Record<string, string>; query: Record<string, string> });
        return next(args);
      }, { step: 'build' });
      return client;
    };
    const emptyType = edited((r) => { r.headers['content-type'] = ''; });
    const emptyToken = edited((r) => { if ('list-type' in r.query) r.query['continuation-token'] = ''; });
    try {
      await emptyType.send(new PutObjectCommand({ Bucket: 'aws-edges', Key: 'typeless', Body: 'no type' }));
      assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'aws-edges', Key: 'typeless' }))).Body!.transformToString(), 'no type');
      const page = await emptyToken.send(new ListObjectsV2Command({ Bucket: 'aws-edges' }));
      assert.deepEqual(page.Contents!.map((c) => c.Key), ['parts.bin', 'single.txt', 'typeless']);
      assert.equal(page.ContinuationToken, undefined, 'an empty token is no token');
    } finally {
      emptyType.destroy();
      emptyToken.destroy();
    }

    // encoding-type=url encodes keys, prefixes, delimiters, markers and start-after, never the token.
    for (const key of ['run books/a+b.txt', 'run books/100%.csv', 'run books/é/x']) await s3.send(new PutObjectCommand({ Bucket: 'aws-edges', Key: key, Body: key }));
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'aws-edges', Prefix: 'run books/', Delimiter: '/', StartAfter: 'run books/0', EncodingType: 'url', MaxKeys: 1 }));
    assert.equal(v2.Prefix, 'run+books/');
    assert.equal(v2.Delimiter, '/');
    assert.equal(v2.StartAfter, 'run+books/0');
    assert.deepEqual(v2.Contents!.map((c) => c.Key), ['run+books/100%25.csv']);
    const token = v2.NextContinuationToken!;
    const rest = await s3.send(new ListObjectsV2Command({ Bucket: 'aws-edges', Prefix: 'run books/', Delimiter: '/', EncodingType: 'url', ContinuationToken: token }));
    assert.equal(rest.ContinuationToken, token, 'the token is echoed as sent');
    assert.deepEqual(rest.Contents!.map((c) => c.Key), ['run+books/a%2Bb.txt']);
    assert.deepEqual(rest.CommonPrefixes!.map((p) => p.Prefix), ['run+books/%C3%A9/']);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'aws-edges', Prefix: 'run books/', Delimiter: '/', Marker: 'run books/0', EncodingType: 'url', MaxKeys: 1 }));
    assert.equal(v1.Prefix, 'run+books/');
    assert.equal(v1.Marker, 'run+books/0');
    assert.equal(v1.NextMarker, 'run+books/100%25.csv');
  });

  test('object tagging: set on PUT, read, replaced, deleted, counted on GET, carried by copies and multipart uploads, refused when out of limits', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tags' }));
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'doc.txt', Body: 'tagged', Tagging: 'project=blue sky&owner=ops', Metadata: { m: '1' } }));
    const tagsOf = async (key: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: key }))).TagSet!.map((t) => [t.Key, t.Value]);
    assert.deepEqual(await tagsOf('doc.txt'), [['project', 'blue sky'], ['owner', 'ops']]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'tags', Key: 'doc.txt' }));
    assert.equal(got.TagCount, 2);
    assert.deepEqual(got.Metadata, { m: '1' }, 'the tags are not sent as a header of their own');
    assert.equal(await got.Body!.transformToString(), 'tagged');

    await s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'doc.txt', Tagging: { TagSet: [{ Key: 'stage', Value: 'done' }] } }));
    assert.deepEqual(await tagsOf('doc.txt'), [['stage', 'done']]);
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: 'tags', Key: 'doc.txt' }))).Metadata, { m: '1' }, 'tagging keeps the metadata');

    // Copies take the source's tags unless the request replaces them.
    await s3.send(new CopyObjectCommand({ Bucket: 'tags', Key: 'copy.txt', CopySource: 'tags/doc.txt' }));
    assert.deepEqual(await tagsOf('copy.txt'), [['stage', 'done']]);
    await s3.send(new CopyObjectCommand({ Bucket: 'tags', Key: 'retagged.txt', CopySource: 'tags/doc.txt', TaggingDirective: 'REPLACE', Tagging: 'fresh=1' }));
    assert.deepEqual(await tagsOf('retagged.txt'), [['fresh', '1']]);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'tags', Key: 'multi.bin', Tagging: 'from=upload' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'tags', Key: 'multi.bin', UploadId, PartNumber: 1, Body: 'part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'tags', Key: 'multi.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    assert.deepEqual(await tagsOf('multi.bin'), [['from', 'upload']]);

    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'tags', Key: 'doc.txt' }));
    assert.deepEqual(await tagsOf('doc.txt'), []);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'tags', Key: 'doc.txt' }))).TagCount, undefined);

    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.deepEqual(await s3Error(s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'doc.txt', Tagging: { TagSet: eleven } }))), { name: 'BadRequest', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'doc.txt', Tagging: { TagSet: [{ Key: 'aws:x', Value: 'v' }] } }))), { name: 'InvalidTag', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'bad.txt', Body: 'x', Tagging: 'a=1&a=2' }))), { name: 'InvalidTag', status: 400 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'bad.txt' }))), { name: 'NoSuchKey', status: 404 }, 'a refused PUT stores nothing');
    assert.deepEqual(await s3Error(s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'missing', Tagging: { TagSet: [] } }))), { name: 'NoSuchKey', status: 404 });
    assert.deepEqual(await s3Error(s3.send(new GetBucketTaggingCommand({ Bucket: 'tags' }))), { name: 'NotImplemented', status: 501 });
  });

  test('incomplete multipart uploads expire: the cleaner aborts them and frees their parts', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'expiry' }));
    const shards = async () => (await cluster.nodes()).reduce((n, node) => n + node.shards, 0);
    // Drain the garbage earlier tests left (an aborted upload's parts), so this pass frees only this upload.
    await cluster.admin('/_gc', { method: 'POST' });
    const before = await shards();
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'expiry', Key: 'left.bin' }));
    await s3.send(new UploadPartCommand({ Bucket: 'expiry', Key: 'left.bin', UploadId, PartNumber: 1, Body: randomBytes(MiB) }));
    await s3.send(new UploadPartCommand({ Bucket: 'expiry', Key: 'left.bin', UploadId, PartNumber: 1, Body: randomBytes(MiB) }));
    await cluster.restartGateway(['--multipart-expiry', '1', '--gc-interval', '0']);
    // Passes until the upload is a second old; the replaced part's shards may go in an earlier pass.
    let freedShards = 0;
    const gc = await waitFor(async () => {
      const pass = (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { multipartExpired: number; freedShards: number };
      freedShards += pass.freedShards;
      return pass.multipartExpired > 0 ? pass : undefined;
    }, 'a cleaner pass to expire the upload', 10_000, 100);
    assert.equal(gc.multipartExpired, 1);
    assert.equal(freedShards, 16, 'both uploads of part 1 (the replaced one queued at once) are deleted');
    assert.deepEqual(await s3Error(s3.send(new ListPartsCommand({ Bucket: 'expiry', Key: 'left.bin', UploadId }))), { name: 'NoSuchUpload', status: 404 });
    await waitUntil(async () => (await shards()) === before, 10_000, 'the nodes to report the freed shards');
  });
});

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

