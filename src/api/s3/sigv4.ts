import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4, as S3 uses it: the canonical request, the string to sign, the signing key, and
 * the chunk signatures of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` uploads. Pure functions; the S3 surface
 * verifies requests with them. Reference: the S3 API guide's "Authenticating Requests (AWS Signature
 * Version 4)" and its examples, which the tests reproduce.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
/** Signed chunks followed by trailing headers (a checksum) signed with `x-amz-trailer-signature`. */
export const STREAMING_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
/** Unsigned chunks with trailing headers: the AWS SDKs' default for streamed bodies with a checksum. */
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignableRequest {
  readonly method: string;
  /** The path as sent, percent-encoded or not (`/test$file.text` and `/test%24file.text` sign alike). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface Credential {
  readonly accessKey: string;
  /** YYYYMMDD */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, upper-case hex. */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const decode = (value: string): string => {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return value;
  }
};
const decodePath = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** S3 encodes the path once (no double encoding, no dot-segment normalisation). */
export const canonicalUri = (path: string): string => uriEncode(decodePath(path || '/'), true);

/** Parameters sorted by encoded name then value; a parameter without a value gets `=`. */
export function canonicalQuery(query: string, leaveOut: readonly string[] = []): string {
  if (!query) return '';
  return query
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const at = p.indexOf('=');
      const name = decode(at === -1 ? p : p.slice(0, at));
      const value = at === -1 ? '' : decode(p.slice(at + 1));
      return [uriEncode(name), uriEncode(value)] as const;
    })
    .filter(([name]) => !leaveOut.includes(name))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

const headerValue = (value: string | readonly string[] | undefined): string =>
  (Array.isArray(value) ? value : [value ?? '']).map((v: string) => v.trim().replace(/\s+/g, ' ')).join(',');

export function canonicalRequest(request: SignableRequest, signedHeaders: readonly string[], payloadHash: string, leaveOutQuery: readonly string[] = []): string {
  return [
    request.method,
    canonicalUri(request.path),
    canonicalQuery(request.query, leaveOutQuery),
    ...signedHeaders.map((name) => `${name}:${headerValue(request.headers[name])}`),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export const scopeOf = (c: Credential): string => `${c.date}/${c.region}/${c.service}/aws4_request`;

export const stringToSign = (amzDate: string, credential: Credential, canonical: string): string =>
  [ALGORITHM, amzDate, scopeOf(credential), sha256Hex(canonical)].join('\n');

export function signingKey(secretKey: string, credential: Credential): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretKey}`, credential.date), credential.region), credential.service), 'aws4_request');
}

export const sign = (key: Buffer, text: string): string => createHmac('sha256', key).update(text).digest('hex');

/** The string to sign of one chunk of a streaming upload; each chunk chains to the previous signature. */
export const chunkStringToSign = (amzDate: string, credential: Credential, previousSignature: string, chunkHash: string): string =>
  ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scopeOf(credential), previousSignature, EMPTY_SHA256, chunkHash].join('\n');

/** The string to sign of a streaming upload's trailing headers (`name:value\n` each), chained to the last chunk. */
export const trailerStringToSign = (amzDate: string, credential: Credential, previousSignature: string, canonicalTrailers: string): string =>
  ['AWS4-HMAC-SHA256-TRAILER', amzDate, scopeOf(credential), previousSignature, sha256Hex(canonicalTrailers)].join('\n');

/** Checks one chunk's signature of a streaming upload, given the SHA-256 (hex) of its data; chained by its maker. */
export type ChunkVerifier = (chunkSha256: string, signature: string) => boolean;

/** Constant-time comparison of two hex signatures. */
export function signaturesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ParsedAuthorization {
  readonly credential: Credential;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  if (!header.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credential = parseCredential(fields.get('Credential') ?? '');
  const signedHeaders = fields.get('SignedHeaders')?.split(';').filter(Boolean);
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders?.length || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { credential, signedHeaders, signature };
}

/** `AK/20130524/us-east-1/s3/aws4_request` (the access key itself may contain no `/`). */
export function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]!) || !parts[0] || !parts[2] || !parts[3]) return undefined;
  return { accessKey: parts[0], date: parts[1]!, region: parts[2], service: parts[3] };
}
