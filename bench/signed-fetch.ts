import { canonicalRequest, sign, signingKey, stringToSign, UNSIGNED_PAYLOAD, uriEncode } from '../src/api/s3/sigv4.js';

/**
 * A lean SigV4-signed GET for benchmarks: the AWS SDK's XML parsing costs more CPU than the server's
 * listing on these two shared cores, so a bench that must measure the server signs its own requests.
 */
export async function signedGet(endpoint: string, path: string, query: Record<string, string>, credentials: { accessKey: string; secretKey: string; region: string }): Promise<string> {
  const url = new URL(path, endpoint);
  const queryString = Object.entries(query)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const credential = { accessKey: credentials.accessKey, date: amzDate.slice(0, 8), region: credentials.region, service: 's3' };
  const headers = { host: url.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
  const signed = ['host', 'x-amz-content-sha256', 'x-amz-date'];
  const canonical = canonicalRequest({ method: 'GET', path: url.pathname, query: queryString, headers }, signed, UNSIGNED_PAYLOAD);
  const signature = sign(signingKey(credentials.secretKey, credential), stringToSign(amzDate, credential, canonical));
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKey}/${credential.date}/${credential.region}/s3/aws4_request, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  const res = await fetch(`${url.origin}${url.pathname}?${queryString}`, { headers: { ...headers, authorization } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}?${queryString}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}
