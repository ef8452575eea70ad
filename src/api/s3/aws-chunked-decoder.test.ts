import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { AwsChunkedError, decodeAwsChunked } from './aws-chunked-decoder.js';
import { chunkStringToSign, sign, signaturesMatch, signingKey, trailerStringToSign, type Credential } from './sigv4.js';

// The S3 guide's streaming example: 65536 + 1024 bytes of 'a' after the seed signature 4f232c….
const credential: Credential = { accessKey: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const key = signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', credential);
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const body = Buffer.from(
  `10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n${'a'.repeat(65536)}\r\n`
    + `400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n${'a'.repeat(1024)}\r\n`
    + '0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
);

/** The chained check a server does: each chunk signs the previous signature. */
const chain = () => {
  let previous = SEED;
  return (chunkHash: string, signature: string) => {
    const expected = sign(key, chunkStringToSign('20130524T000000Z', credential, previous, chunkHash));
    previous = signature;
    return signaturesMatch(expected, signature);
  };
};

async function decode(input: Buffer, cuts: number[] = []): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    pieces.push(input.subarray(at, cut));
    at = cut;
  }
  pieces.push(input.subarray(at));
  const out: Buffer[] = [];
  for await (const chunk of decodeAwsChunked((async function* () { yield* pieces; })(), chain())) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

test('aws-chunked: the AWS example decodes to its 66560 bytes, however the network cuts it', async () => {
  assert.equal(body.length, 66824, 'the Content-Length of the AWS example');
  const whole = await decode(body);
  assert.equal(whole.length, 66560);
  assert.ok(whole.equals(Buffer.alloc(66560, 'a')));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: body.length }), { maxLength: 12 }), async (cuts) => {
      assert.equal(createHash('sha256').update(await decode(body, cuts)).digest('hex'), createHash('sha256').update(whole).digest('hex'));
    }),
    { numRuns: 100 },
  );
});

test('aws-chunked: a changed byte, a wrong signature, a short or malformed body all throw', async () => {
  const flipped = Buffer.from(body);
  flipped[200]! ^= 1;
  await assert.rejects(decode(flipped), AwsChunkedError);
  const wrongSig = Buffer.from(body.toString('latin1').replace('ad80c730', 'ad80c731'), 'latin1');
  await assert.rejects(decode(wrongSig), AwsChunkedError);
  await assert.rejects(decode(body.subarray(0, 60_000)), /ended before its final chunk/);
  await assert.rejects(decode(Buffer.from('zz;chunk-signature=00\r\n')), /malformed/);
  await assert.rejects(decode(Buffer.from('1;chunk-signature=' + 'a'.repeat(64) + '\r\nxy\r\n')), AwsChunkedError);
  await assert.rejects(decode(Buffer.alloc(5000, 'x')), /too long/);
});

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}
const once = (b: Buffer) => (async function* () { yield b; })();

test('aws-chunked: unsigned chunks with a trailing checksum (the SDKs\' STREAMING-UNSIGNED-PAYLOAD-TRAILER)', async () => {
  const unsigned = Buffer.from(`5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n`);
  let trailers: Record<string, string> = {};
  const data = await collect(decodeAwsChunked(once(unsigned), undefined, { onTrailers: (t) => (trailers = t) }));
  assert.equal(data.toString(), 'hello world');
  assert.deepEqual(trailers, { 'x-amz-checksum-crc32': 'DUoRhQ==' });
  // A chunk header with a signature where none is expected is still just a size.
  await assert.rejects(collect(decodeAwsChunked(once(Buffer.from('zz\r\n')), undefined)), /malformed aws-chunked header/);
  await assert.rejects(collect(decodeAwsChunked(once(Buffer.from('0\r\nno colon here\r\n\r\n')), undefined)), /malformed aws-chunked trailer/);
});

test('aws-chunked: signed chunks with a signed trailer; a changed trailer or a missing signature is refused', async () => {
  const trailerSignature = (previous: string, canonical: string) => sign(key, trailerStringToSign('20130524T000000Z', credential, previous, canonical));
  const finalSignature = 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9';
  const canonical = 'x-amz-checksum-crc32c:sOO8/Q==\n';
  const withTrailer = (value: string, signature: string) =>
    Buffer.concat([body.subarray(0, body.length - 2), Buffer.from(`x-amz-checksum-crc32c:${value}\r\nx-amz-trailer-signature:${signature}\r\n\r\n`)]);
  const verifyTrailer = (c: string, s: string) => signaturesMatch(trailerSignature(finalSignature, c), s);
  let trailers: Record<string, string> = {};
  const good = withTrailer('sOO8/Q==', trailerSignature(finalSignature, canonical));
  assert.equal((await collect(decodeAwsChunked(once(good), chain(), { verifyTrailer, onTrailers: (t) => (trailers = t) }))).length, 66560);
  assert.deepEqual(trailers, { 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  const changed = withTrailer('AAAAAA==', trailerSignature(finalSignature, canonical));
  await assert.rejects(collect(decodeAwsChunked(once(changed), chain(), { verifyTrailer })), (e: unknown) => e instanceof AwsChunkedError && e.kind === 'signature');
  const unsignedTrailer = Buffer.concat([body.subarray(0, body.length - 2), Buffer.from('x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n')]);
  await assert.rejects(collect(decodeAwsChunked(once(unsignedTrailer), chain(), { verifyTrailer })), /not signed/);
});
