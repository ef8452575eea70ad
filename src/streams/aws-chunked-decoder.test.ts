import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { AwsChunkedError, decodeAwsChunked } from './aws-chunked-decoder.js';
import { chunkStringToSign, sign, signaturesMatch, signingKey, type Credential } from '../core/sigv4.js';

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
