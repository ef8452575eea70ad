import {
  ALGORITHM, canonicalRequest, chunkStringToSign, parseAuthorization, parseCredential, sign, signaturesMatch, signingKey,
  STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_TRAILER, stringToSign, trailerStringToSign, UNSIGNED_PAYLOAD, type ChunkVerifier, type Credential, type SignableRequest,
} from './sigv4.js';
import { S3Error } from './s3-error.js';
import { single } from './s3-headers.js';

/** How far a request's X-Amz-Date may be from the gateway's clock (AWS allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60_000;
/** Presigned URLs live at most 7 days, as on AWS. */
const MAX_EXPIRES_S = 7 * 24 * 3600;

export interface Authenticated {
  readonly accessKey: string;
  /**
   * What the body must hash to (hex), or how it is sent: `streaming` (aws-chunked, every chunk signed),
   * `streaming-unsigned` (aws-chunked, unsigned chunks with trailing headers).
   */
  readonly payload: { readonly sha256: string } | 'unsigned' | 'streaming' | 'streaming-unsigned';
  /** For `streaming` bodies: the chained check of each chunk, seeded with the request's signature. */
  readonly chunks?: ChunkVerifier;
  /** For signed streaming bodies with a trailer: the check of `x-amz-trailer-signature`. */
  readonly trailer?: (canonicalTrailers: string, signature: string) => boolean;
}

const amzTime = (value: string): number => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
};


const sigV2Refused = () => new S3Error(
  'InvalidRequest',
  400,
  'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256: signature version 2 is not supported; use Signature Version 4 (aws-cli: `aws configure set default.s3.signature_version s3v4`; boto3: Config(signature_version="s3v4"))',
);

/** A request that carries no signature of any kind: anonymous (it may read a public-read bucket's objects). */
export function isAnonymousS3(request: Pick<SignableRequest, 'query' | 'headers'>): boolean {
  const params = new URLSearchParams(request.query);
  return single(request.headers.authorization) === undefined && !params.has('X-Amz-Algorithm') && !(params.has('Signature') && params.has('AWSAccessKeyId'));
}

/** What an anonymous request is given in place of a signature: nothing to verify a body against, since it may send none. */
export const ANONYMOUS: Authenticated = { accessKey: '', payload: 'unsigned' };

/**
 * Authenticates an S3 request signed with AWS Signature V4, in the Authorization header or as a presigned
 * URL, against the secrets `secretOf` knows. Throws S3Error with the code S3 would answer.
 */
export async function authenticateS3(
  request: SignableRequest,
  secretOf: (accessKey: string) => Promise<string | undefined>,
  now: number = Date.now(),
): Promise<Authenticated> {
  const header = single(request.headers.authorization);
  const params = new URLSearchParams(request.query);
  const presigned = params.get('X-Amz-Algorithm');
  let credential: Credential;
  let signedHeaders: readonly string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  // Signature Version 2 (`Authorization: AWS KEY:SIG`, or `?AWSAccessKeyId=…&Signature=…&Expires=…` from aws-cli 1.x's
  // presign and older SDKs) is refused the way AWS refuses it in every region opened since 2014: with what to
  // use instead, not as an anonymous request (docs/decisions/0009-signature-version-2.md).
  if (header?.startsWith('AWS ') || (!header && params.has('Signature') && params.has('AWSAccessKeyId'))) throw sigV2Refused();
  if (header) {
    const parsed = parseAuthorization(header);
    if (!parsed) throw new S3Error('AuthorizationHeaderMalformed', 400, 'the Authorization header is not AWS Signature Version 4');
    ({ credential, signedHeaders, signature } = parsed);
    amzDate = single(request.headers['x-amz-date']) ?? '';
    payloadHash = single(request.headers['x-amz-content-sha256']) ?? '';
    if (!payloadHash) throw new S3Error('InvalidRequest', 400, 'x-amz-content-sha256 is required');
  } else if (presigned) {
    if (presigned !== ALGORITHM) throw new S3Error('AuthorizationQueryParametersError', 400, `X-Amz-Algorithm must be ${ALGORITHM}`);
    const parsedCredential = parseCredential(params.get('X-Amz-Credential') ?? '');
    const expires = Number(params.get('X-Amz-Expires'));
    signature = params.get('X-Amz-Signature') ?? '';
    amzDate = params.get('X-Amz-Date') ?? '';
    signedHeaders = (params.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    if (!parsedCredential || !signature || !signedHeaders.length || !/^-?\d+$/.test(params.get('X-Amz-Expires') ?? '')) {
      throw new S3Error('AuthorizationQueryParametersError', 400, 'the presigned URL is incomplete or malformed');
    }
    // A lifetime out of range is refused as AWS refuses it: access denied, like an expired URL.
    if (expires < 1 || expires > MAX_EXPIRES_S) throw new S3Error('AccessDenied', 403, `X-Amz-Expires must be between 1 and ${MAX_EXPIRES_S} seconds`);
    credential = parsedCredential;
    if (now > amzTime(amzDate) + expires * 1000) throw new S3Error('AccessDenied', 403, 'Request has expired');
    payloadHash = UNSIGNED_PAYLOAD;
  } else {
    throw new S3Error('AccessDenied', 403, 'anonymous access is not allowed; sign the request with an access key');
  }

  const time = amzTime(amzDate);
  if (Number.isNaN(time)) throw new S3Error('AccessDenied', 403, 'X-Amz-Date is missing or malformed');
  if (!presigned && Math.abs(now - time) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', 403, 'The difference between the request time and the server time is too large');
  }
  if (amzDate.slice(0, 8) !== credential.date) throw new S3Error('SignatureDoesNotMatch', 403, 'the credential date does not match X-Amz-Date');
  if (credential.service !== 's3') throw new S3Error('SignatureDoesNotMatch', 403, `the credential is for service '${credential.service}', not s3`);
  if (!signedHeaders.includes('host')) throw new S3Error('AccessDenied', 403, 'the host header must be signed');
  const secret = await secretOf(credential.accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.');

  const key = signingKey(secret, credential);
  const canonical = canonicalRequest(request, signedHeaders, payloadHash, presigned ? ['X-Amz-Signature'] : []);
  const expected = sign(key, stringToSign(amzDate, credential, canonical));
  if (!signaturesMatch(expected, signature) && !(header && signedOverRawQuery(request, signedHeaders, payloadHash, key, amzDate, credential, signature))) {
    throw new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided.');
  }
  if (payloadHash === UNSIGNED_PAYLOAD) return { accessKey: credential.accessKey, payload: 'unsigned' };
  if (payloadHash === STREAMING_UNSIGNED_TRAILER) return { accessKey: credential.accessKey, payload: 'streaming-unsigned' };
  if (payloadHash === STREAMING_PAYLOAD || payloadHash === STREAMING_PAYLOAD_TRAILER) {
    let previous = signature;
    return {
      accessKey: credential.accessKey,
      payload: 'streaming',
      chunks: (chunkHash, chunkSignature) => {
        const ok = signaturesMatch(sign(key, chunkStringToSign(amzDate, credential, previous, chunkHash)), chunkSignature);
        previous = chunkSignature;
        return ok;
      },
      trailer: (canonicalTrailers, trailerSignature) =>
        signaturesMatch(sign(key, trailerStringToSign(amzDate, credential, previous, canonicalTrailers)), trailerSignature),
    };
  }
  if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw new S3Error('InvalidArgument', 400, 'x-amz-content-sha256 is not a SHA-256, UNSIGNED-PAYLOAD or a streaming mode');
  return { accessKey: credential.accessKey, payload: { sha256: payloadHash } };
}

/**
 * curl before 8.1 (`--aws-sigv4`, still Debian 12's curl) signs the query string exactly as sent: neither
 * sorted nor encoded. The signature then still covers every parameter (in its sent form), so accepting it
 * lets no one forge anything; AWS itself refuses such requests.
 */
function signedOverRawQuery(
  request: SignableRequest, signedHeaders: readonly string[], payloadHash: string, key: Buffer, amzDate: string, credential: Credential, signature: string,
): boolean {
  if (!request.query) return false;
  const canonical = canonicalRequest({ ...request, query: '' }, signedHeaders, payloadHash).split('\n');
  canonical[2] = request.query;
  return signaturesMatch(sign(key, stringToSign(amzDate, credential, canonical.join('\n'))), signature);
}
