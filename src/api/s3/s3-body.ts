import type { FastifyRequest } from 'fastify';
import { declaredLength } from '../../http/declared-length.js';
import { decodeAwsChunked } from './aws-chunked-decoder.js';
import { ContentDigest } from '../../streams/content-digest.js';
import { countedBody } from '../counted-body.js';
import type { Authenticated } from './s3-auth.js';
import { checksumAlgorithmOf, checksumHeader, ChecksumTap, type ChecksumAlgorithm } from './s3-checksums.js';
import { S3Error } from './s3-error.js';
import { single } from './s3-headers.js';

/** Hex digests of a body as it was stored. */
export interface BodyDigests {
  readonly md5: string;
  readonly sha256: string;
}

/** An upload body as the S3 request sends it, decoded, with the checks its headers ask for. */
export interface S3UploadBody {
  readonly body: AsyncIterable<Uint8Array>;
  /** The length of the decoded body, if the request declares it. */
  readonly declaredSize: number | undefined;
  /**
   * Checks the stored bytes against the signed payload hash, Content-MD5 and `x-amz-checksum-*` (header or
   * trailer): S3's error on a mismatch. Returns the verified checksum headers, kept with the object.
   */
  verify(stored: BodyDigests): Record<string, string>;
}


export function s3UploadBody(request: FastifyRequest, auth: Authenticated): S3UploadBody {
  const headers = request.headers;
  const chunked = auth.payload === 'streaming' || auth.payload === 'streaming-unsigned';
  const md5 = single(headers['content-md5']);
  if (md5 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5.trim())) throw new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.');

  // Checksums named by a header (value now) or announced as a trailer (value at the end of the body).
  const expected = new Map<ChecksumAlgorithm, string | undefined>();
  for (const [name, value] of Object.entries(headers)) {
    const algorithm = checksumAlgorithmOf(name);
    if (algorithm) expected.set(algorithm, single(value));
  }
  const trailer = single(headers['x-amz-trailer']);
  for (const name of trailer ? trailer.split(',') : []) {
    const algorithm = checksumAlgorithmOf(name);
    if (!algorithm) throw new S3Error('InvalidRequest', 400, `the trailer '${name.trim()}' is not supported`);
    expected.set(algorithm, undefined);
  }
  if (trailer && !chunked) throw new S3Error('InvalidRequest', 400, 'x-amz-trailer needs an aws-chunked body');

  let body: AsyncIterable<Uint8Array> = countedBody(request);
  let declaredSize: number | undefined;
  if (chunked) {
    const decoded = single(headers['x-amz-decoded-content-length']);
    if (decoded !== undefined && !/^\d+$/.test(decoded)) throw new S3Error('InvalidArgument', 400, 'x-amz-decoded-content-length is not a number');
    declaredSize = decoded === undefined ? undefined : Number(decoded);
    body = decodeAwsChunked(body, auth.chunks, {
      verifyTrailer: auth.trailer,
      onTrailers: (trailers) => {
        for (const [name, value] of Object.entries(trailers)) {
          const algorithm = checksumAlgorithmOf(name);
          if (algorithm && expected.has(algorithm)) expected.set(algorithm, value);
        }
      },
    });
  } else {
    declaredSize = declaredLength(headers);
  }
  const tap = new ChecksumTap(new Set(expected.keys()));
  if (expected.size > 0) body = tapped(body, tap);

  return {
    body,
    declaredSize,
    verify(stored) {
      if (typeof auth.payload === 'object' && auth.payload.sha256 !== stored.sha256) {
        throw new S3Error('XAmzContentSHA256Mismatch', 400, 'The provided \'x-amz-content-sha256\' header does not match what was computed.');
      }
      if (md5 !== undefined && Buffer.from(md5, 'base64').toString('hex') !== stored.md5) {
        throw new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
      }
      const computed = tap.digests(stored.sha256);
      for (const [algorithm, value] of expected) {
        const header = checksumHeader(algorithm);
        if (value === undefined) throw new S3Error('InvalidRequest', 400, `the body ended without its ${header} trailer`);
        if (value !== computed[header]) throw new S3Error('BadDigest', 400, `The ${header} you specified did not match the calculated checksum.`);
      }
      return computed;
    },
  };
}

/** Reads a small request body (an XML document) and checks it like an upload: the digests it asked for. */
export async function readSmallBody(request: FastifyRequest, auth: Authenticated, limit: number): Promise<Buffer> {
  const upload = s3UploadBody(request, auth);
  const digest = new ContentDigest();
  const chunks: Buffer[] = [];
  for await (const chunk of upload.body) {
    digest.update(chunk);
    if (digest.bytes > limit) throw new S3Error('MalformedXML', 400, `the request body is larger than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  upload.verify(digest.digest());
  return Buffer.concat(chunks);
}

async function* tapped(body: AsyncIterable<Uint8Array>, tap: ChecksumTap): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    tap.update(chunk);
    yield chunk;
  }
}
