import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalQuery, canonicalRequest, chunkStringToSign, EMPTY_SHA256, parseAuthorization, sha256Hex, sign, signaturesMatch,
  signingKey, STREAMING_PAYLOAD, stringToSign, UNSIGNED_PAYLOAD, uriEncode, type Credential, type SignableRequest,
} from './sigv4.js';

// The examples of the S3 API guide ("Signature Calculations for the Authorization Header", "Query string
// authentication", "Signature calculation for streaming uploads"): these keys and figures are AWS's own.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AMZ_DATE = '20130524T000000Z';
const credential: Credential = { accessKey: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const key = signingKey(SECRET, credential);
const signatureOf = (request: SignableRequest, signed: string[], payload: string, leaveOut: string[] = []) =>
  sign(key, stringToSign(AMZ_DATE, credential, canonicalRequest(request, signed, payload, leaveOut)));

test('sigv4: GET Object with a Range header (AWS example)', () => {
  const request = {
    method: 'GET', path: '/test.txt', query: '',
    headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': AMZ_DATE },
  };
  const signed = ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'];
  assert.equal(sha256Hex(canonicalRequest(request, signed, EMPTY_SHA256)), '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
  assert.equal(signatureOf(request, signed, EMPTY_SHA256), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('sigv4: PUT Object, a key with $ sent unencoded or encoded (AWS example)', () => {
  const payload = sha256Hex('Welcome to Amazon S3.');
  assert.equal(payload, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  const headers = {
    date: 'Fri, 24 May 2013 00:00:00 GMT', host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': payload,
    'x-amz-date': AMZ_DATE, 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
  };
  const signed = ['date', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-storage-class'];
  for (const path of ['/test$file.text', '/test%24file.text']) {
    assert.equal(signatureOf({ method: 'PUT', path, query: '', headers }, signed, payload), '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  }
});

test('sigv4: GET Bucket lifecycle, a query parameter without a value (AWS example)', () => {
  const request = { method: 'GET', path: '/', query: 'lifecycle', headers: { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': AMZ_DATE } };
  assert.equal(signatureOf(request, ['host', 'x-amz-content-sha256', 'x-amz-date'], EMPTY_SHA256), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
});

test('sigv4: a presigned GET URL (AWS example)', () => {
  const query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
    + '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host'
    + '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const request = { method: 'GET', path: '/test.txt', query, headers: { host: 'examplebucket.s3.amazonaws.com' } };
  assert.equal(signatureOf(request, ['host'], UNSIGNED_PAYLOAD, ['X-Amz-Signature']), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
});

test('sigv4: a streaming upload, seed and chunk signatures (AWS example)', () => {
  const request = {
    method: 'PUT', path: '/examplebucket/chunkObject.txt', query: '',
    headers: {
      'content-encoding': 'aws-chunked', 'content-length': '66824', host: 's3.amazonaws.com', 'x-amz-content-sha256': STREAMING_PAYLOAD,
      'x-amz-date': AMZ_DATE, 'x-amz-decoded-content-length': '66560', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    },
  };
  const signed = ['content-encoding', 'content-length', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-decoded-content-length', 'x-amz-storage-class'];
  const seed = signatureOf(request, signed, STREAMING_PAYLOAD);
  assert.equal(seed, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
  let previous = seed;
  const expected = [
    [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
    [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
    [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
  ] as const;
  for (const [size, signature] of expected) {
    previous = sign(key, chunkStringToSign(AMZ_DATE, credential, previous, sha256Hex(Buffer.alloc(size, 'a'))));
    assert.equal(previous, signature, `chunk of ${size}`);
  }
});

test('sigv4: the Authorization header is parsed, and garbage is refused', () => {
  const parsed = parseAuthorization(
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, '
      + 'Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024',
  );
  assert.deepEqual(parsed, { credential, signedHeaders: ['host', 'range', 'x-amz-date'], signature: 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024' });
  for (const bad of ['', 'AWS4-HMAC-SHA256', 'Bearer x', 'AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00',
    'AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=, Signature=' + '0'.repeat(64)]) {
    assert.equal(parseAuthorization(bad), undefined, bad);
  }
  fc.assert(fc.property(fc.string(), (s) => {
    parseAuthorization(s); // never throws
    parseAuthorization(`AWS4-HMAC-SHA256 ${s}`);
  }));
});

test('sigv4: encoding and query canonicalisation', () => {
  assert.equal(uriEncode('a b/c~d*é'), 'a%20b%2Fc~d%2A%C3%A9');
  assert.equal(uriEncode('a b/c', true), 'a%20b/c');
  assert.equal(canonicalQuery('prefix=J&max-keys=2'), 'max-keys=2&prefix=J');
  assert.equal(canonicalQuery('b=2&a=&a=1&c'), 'a=&a=1&b=2&c=');
  assert.equal(canonicalQuery('x=a%20b&y=a+b'), 'x=a%20b&y=a%20b');
  assert.ok(signaturesMatch('ab', 'ab'));
  assert.ok(!signaturesMatch('ab', 'ac'));
  assert.ok(!signaturesMatch('ab', 'abc'));
});
