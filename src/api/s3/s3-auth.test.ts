import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { authenticateS3 } from './s3-auth.js';
import { S3Error, s3ErrorXml } from './s3-error.js';
import { EMPTY_SHA256, STREAMING_PAYLOAD } from './sigv4.js';

// The S3 guide's examples (access key AKIAIOSFODNN7EXAMPLE, 24 May 2013).
const secrets = new Map([['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']]);
const secretOf = async (k: string) => secrets.get(k);
const AT = Date.UTC(2013, 4, 24, 0, 5, 0);
const getObject = (signature = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', accessKey = 'AKIAIOSFODNN7EXAMPLE') => ({
  method: 'GET', path: '/test.txt', query: '',
  headers: {
    host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': '20130524T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
  },
});
const code = (expected: string) => (error: unknown) => error instanceof S3Error && error.code === expected;

test('s3 auth: a header-signed request is accepted with its payload hash', async () => {
  assert.deepEqual(await authenticateS3(getObject(), secretOf, AT), { accessKey: 'AKIAIOSFODNN7EXAMPLE', payload: { sha256: EMPTY_SHA256 } });
});

test('s3 auth: wrong signature, unknown key, skewed clock, anonymous and malformed requests are refused with S3 codes', async () => {
  await assert.rejects(authenticateS3(getObject('0'.repeat(64)), secretOf, AT), code('SignatureDoesNotMatch'));
  await assert.rejects(authenticateS3(getObject(undefined, 'AKIANOTKNOWN'), secretOf, AT), code('InvalidAccessKeyId'));
  await assert.rejects(authenticateS3(getObject(), secretOf, AT + 3600_000), code('RequestTimeTooSkewed'));
  await assert.rejects(authenticateS3({ method: 'GET', path: '/', query: '', headers: {} }, secretOf, AT), code('AccessDenied'));
  await assert.rejects(authenticateS3({ method: 'GET', path: '/', query: '', headers: { authorization: 'AWS4-HMAC-SHA256 nonsense' } }, secretOf, AT), code('AuthorizationHeaderMalformed'));
  const tampered = getObject();
  tampered.headers.range = 'bytes=0-99';
  await assert.rejects(authenticateS3(tampered, secretOf, AT), code('SignatureDoesNotMatch'), 'a signed header changed');
});

test('s3 auth: Signature Version 2, in the header or presigned, is refused saying what to use instead', async () => {
  const sigV4Only = (e: unknown) => code('InvalidRequest')(e) && (e as S3Error).status === 400 && /Signature Version 4/.test((e as Error).message);
  await assert.rejects(authenticateS3({ method: 'GET', path: '/b/k', query: '', headers: { authorization: 'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=' } }, secretOf, AT), sigV4Only);
  const query = 'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D';
  await assert.rejects(authenticateS3({ method: 'GET', path: '/b/k', query, headers: {} }, secretOf, AT), sigV4Only);
});

test('s3 auth: a presigned URL works until it expires', async () => {
  const query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
    + '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host'
    + '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const request = { method: 'GET', path: '/test.txt', query, headers: { host: 'examplebucket.s3.amazonaws.com' } };
  assert.deepEqual(await authenticateS3(request, secretOf, AT + 3600_000), { accessKey: 'AKIAIOSFODNN7EXAMPLE', payload: 'unsigned' });
  await assert.rejects(authenticateS3(request, secretOf, AT + 86_401_000), (e: unknown) => code('AccessDenied')(e) && /expired/.test((e as Error).message));
  await assert.rejects(authenticateS3({ ...request, path: '/other.txt' }, secretOf, AT), code('SignatureDoesNotMatch'));
});

test('s3 auth: a presigned lifetime of zero, below zero or above 7 days is access denied, as on AWS; a malformed one is a bad request', async () => {
  const presign = (expires: string) => ({
    method: 'GET', path: '/test.txt', headers: { host: 'examplebucket.s3.amazonaws.com' },
    query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
      + `&X-Amz-Date=20130524T000000Z&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`,
  });
  const denied = (e: unknown) => code('AccessDenied')(e) && (e as S3Error).status === 403;
  for (const expires of ['0', '-5', String(7 * 24 * 3600 + 1)]) await assert.rejects(authenticateS3(presign(expires), secretOf, AT), denied, expires);
  await assert.rejects(authenticateS3(presign('soon'), secretOf, AT), code('AuthorizationQueryParametersError'));
  // At the limit the lifetime is accepted, and only the (wrong) signature is refused.
  await assert.rejects(authenticateS3(presign(String(7 * 24 * 3600)), secretOf, AT), code('SignatureDoesNotMatch'));
});

test('s3 auth: a streaming upload yields the chained chunk check of the AWS example', async () => {
  const request = {
    method: 'PUT', path: '/examplebucket/chunkObject.txt', query: '',
    headers: {
      'content-encoding': 'aws-chunked', 'content-length': '66824', host: 's3.amazonaws.com', 'x-amz-content-sha256': STREAMING_PAYLOAD,
      'x-amz-date': '20130524T000000Z', 'x-amz-decoded-content-length': '66560', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,'
        + 'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,'
        + 'Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    },
  };
  const auth = await authenticateS3(request, secretOf, AT);
  assert.equal(auth.payload, 'streaming');
  const hash = (n: number) => createHash('sha256').update(Buffer.alloc(n, 'a')).digest('hex');
  assert.equal(auth.chunks!(hash(65536), 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'), true);
  assert.equal(auth.chunks!(hash(1024), '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'), true);
  assert.equal(auth.chunks!(hash(0), 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'), true);
  const again = await authenticateS3(request, secretOf, AT);
  assert.equal(again.chunks!(hash(65535), 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'), false, 'one byte short');
});

test('s3 errors render as S3 XML, escaped', () => {
  const xml = s3ErrorXml(new S3Error('NoSuchKey', 404, 'The specified key does not exist.'), '/b/a<b>&c', 'req-1');
  assert.equal(xml, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>'
    + '<Resource>/b/a&lt;b&gt;&amp;c</Resource><RequestId>req-1</RequestId></Error>');
});
