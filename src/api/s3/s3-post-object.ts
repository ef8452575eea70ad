import { lengthRange, parsePostPolicy, policyProblem, type PostPolicy } from '../../domain/post-policy.js';
import type { AccessKey, Bucket } from '../../domain/records.js';
import { s3KeyProblem } from '../../domain/s3-names.js';
import { clientSignal } from '../../http/client-signal.js';
import { formUpload, type FormUpload } from '../../http/multipart-file.js';
import { discardRest } from '../../http/discard-body.js';
import { authorize } from './s3-access.js';
import { quoted, sendXml, type BucketContext } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { storedHeaders } from './s3-headers.js';
import { ALGORITHM, parseCredential, sign, signaturesMatch, signingKey } from './sigv4.js';

const invalid = (message: string) => new S3Error('InvalidArgument', 400, message);
const byPolicy = (why: string) => new S3Error('AccessDenied', 403, `Invalid according to Policy: ${why}`);

/** The key that signed the form's policy, checked as S3 checks a browser upload (Signature V4 over the policy). */
async function signerOf(fields: ReadonlyMap<string, string>, policyField: string, keyOf: (accessKey: string) => Promise<AccessKey | undefined>): Promise<AccessKey> {
  if (fields.has('awsaccesskeyid') || fields.has('signature')) {
    throw new S3Error('InvalidRequest', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256: sign the POST policy with Signature Version 4');
  }
  const algorithm = fields.get('x-amz-algorithm');
  if (algorithm !== ALGORITHM) throw invalid(`Bucket POST must contain a field named 'x-amz-algorithm' with the value ${ALGORITHM}`);
  const credential = parseCredential(fields.get('x-amz-credential') ?? '');
  if (!credential) throw invalid("Bucket POST must contain a field named 'x-amz-credential' of the form KEY/YYYYMMDD/REGION/s3/aws4_request");
  const signature = fields.get('x-amz-signature');
  if (!signature) throw invalid("Bucket POST must contain a field named 'x-amz-signature'");
  if (!(fields.get('x-amz-date') ?? '').startsWith(credential.date)) throw invalid("the 'x-amz-date' field must fall on the credential's date");
  const key = await keyOf(credential.accessKey);
  if (!key) throw new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.');
  if (!signaturesMatch(sign(signingKey(key.secretKey, credential), policyField), signature)) {
    throw new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return key;
}

/** The file's bytes, refused once they pass the policy's largest size (S3 does not wait for the end either). */
async function* boundedBy(file: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of file) {
    size += chunk.length;
    if (size > max) throw new S3Error('EntityTooLarge', 400, `Your proposed upload exceeds the maximum allowed size (${max} bytes)`);
    yield chunk;
  }
}

/** The form's fields as the request headers they stand for (Content-Type, Cache-Control, `x-amz-meta-*` …). */
const headersOf = (fields: ReadonlyMap<string, string>) => Object.fromEntries([...fields].filter(([name]) => name !== 'x-amz-tagging'));

/**
 * PostObject: a browser uploads a file with an HTML form (`POST /bucket`, multipart/form-data) whose
 * fields carry a policy signed by an access key; the policy bounds the key, the size and the other fields.
 * Answered with a redirect (`success_action_redirect`), 200, 201 with a PostResponse, or 204.
 */
export async function postObject(ctx: BucketContext, bucket: Bucket, keyOf: (accessKey: string) => Promise<AccessKey | undefined>) {
  const signal = clientSignal(ctx.request, ctx.reply);
  const form = await formUpload(ctx.request.raw, signal);
  try {
    return await storeUpload(ctx, bucket, form, keyOf, signal);
  } catch (error) {
    discardRest(ctx.request.raw);
    throw error;
  }
}

async function storeUpload(ctx: BucketContext, bucket: Bucket, form: FormUpload, keyOf: (accessKey: string) => Promise<AccessKey | undefined>, signal: AbortSignal) {
  const { fields, file } = form;
  const policyField = fields.get('policy');
  let policy: PostPolicy | undefined;
  let signer: AccessKey | undefined;
  if (policyField !== undefined) {
    signer = await signerOf(fields, policyField, keyOf);
    const parsed = parsePostPolicy(policyField);
    if (typeof parsed === 'string') throw new S3Error('InvalidPolicyDocument', 400, `Invalid Policy: ${parsed}`);
    policy = parsed;
  }
  await authorize({ ...ctx, signer }, bucket, { access: 'write', objectRead: false });
  const rawKey = fields.get('key');
  if (rawKey === undefined) throw invalid("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
  const key = rawKey.replaceAll('${filename}', file.filename ?? '');
  const keyProblem = s3KeyProblem(key);
  if (keyProblem) throw invalid(keyProblem);
  if (fields.has('tagging')) throw new S3Error('NotImplemented', 501, 'the tagging field of a POST upload is not implemented by Shardstore; tag with PutObjectTagging');
  if (policy) {
    const problem = policyProblem(policy, fields, new Map([['bucket', bucket.name], ['key', key]]), Date.now());
    if (problem) throw byPolicy(problem);
  }
  const range = policy && lengthRange(policy);
  const { object } = await ctx.useCases.objects.put({
    bucket: bucket.name,
    key,
    body: range ? boundedBy(file.stream, range.max) : file.stream,
    contentType: fields.get('content-type') ?? file.mimeType ?? null,
    headers: storedHeaders(headersOf(fields)),
    replace: true,
    bucketMustExist: true,
    verify: (stored) => {
      if (range && stored.size < range.min) throw new S3Error('EntityTooSmall', 400, `Your proposed upload is smaller than the minimum allowed size (${range.min} bytes)`);
    },
    signal,
  }, ctx.caller);
  return answer(ctx, fields, bucket.name, key, object.etag);
}

function answer(ctx: BucketContext, fields: ReadonlyMap<string, string>, bucket: string, key: string, etag: string) {
  const location = `${ctx.request.protocol}://${ctx.request.headers.host ?? 'localhost'}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  ctx.reply.header('etag', quoted(etag)).header('location', location);
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect && /^https?:\/\//i.test(redirect)) {
    const query = new URLSearchParams({ bucket, key, etag: quoted(etag) }).toString();
    return ctx.reply.code(303).header('location', `${redirect}${redirect.includes('?') ? '&' : '?'}${query}`).send();
  }
  const status = fields.get('success_action_status');
  if (status === '201') return sendXml(ctx.reply, 'PostResponse', { Location: location, Bucket: bucket, Key: key, ETag: quoted(etag) }, 201);
  return ctx.reply.code(status === '200' ? 200 : 204).send();
}
