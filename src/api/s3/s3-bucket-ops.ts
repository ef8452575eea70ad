import { bucketNameProblem } from '../../domain/s3-names.js';
import type { AccessKey, ObjectListEntry } from '../../domain/records.js';
import { isoTime, OWNER, pageLimit, sendXml, type BucketContext, type S3Context } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { listingUrlEncode, listPage } from './s3-listing.js';
import { escapeXml, many, MAX_XML_BODY, parseXmlBody, RawXml } from './s3-xml.js';
import { readSmallBody } from './s3-body.js';

/** ListBuckets: the buckets the signing key may see. */
export async function listBuckets(ctx: S3Context, signer: AccessKey) {
  const buckets = await ctx.useCases.buckets.visibleTo(signer);
  return sendXml(ctx.reply, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: isoTime(b.createdAt) })) },
  });
}

/** CreateBucket: a key that is not an administrator becomes the new bucket's owner. */
export async function createBucket(ctx: BucketContext, signer: AccessKey) {
  const problem = bucketNameProblem(ctx.bucket);
  if (problem) throw new S3Error('InvalidBucketName', 400, `The specified bucket is not valid: ${problem}.`);
  // The body may name a LocationConstraint; any region is this cluster's region.
  await readSmallBody(ctx.request, ctx.auth, 64 * 1024);
  if (!(await ctx.useCases.buckets.create(ctx.bucket, signer))) {
    // As us-east-1 answers a second create: "already yours" to its owner (or an administrator), taken to others.
    if (signer.admin || (await ctx.useCases.buckets.accessTo(signer, ctx.bucket)) === 'owner') {
      throw new S3Error('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    throw new S3Error('BucketAlreadyExists', 409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.');
  }
  return ctx.reply.code(200).header('location', `/${ctx.bucket}`).send();
}

export async function headBucket(ctx: BucketContext) {
  return ctx.reply.code(200).header('x-amz-bucket-region', ctx.region).send();
}

export async function deleteBucket(ctx: BucketContext) {
  const result = await ctx.useCases.buckets.remove(ctx.bucket);
  if (result === 'missing') throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
  if (result === 'not-empty') {
    throw new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty (objects, or multipart uploads in progress).');
  }
  return ctx.reply.code(204).send();
}

export async function getBucketLocation(ctx: BucketContext) {
  // us-east-1 is answered as an empty LocationConstraint, as S3 does.
  return sendXml(ctx.reply, 'LocationConstraint', {});
}

function encoderOf(query: URLSearchParams): (s: string) => string {
  const type = query.get('encoding-type');
  if (type === null) return (s) => s;
  if (type !== 'url') throw new S3Error('InvalidArgument', 400, 'Invalid Encoding Method specified in Request');
  return listingUrlEncode;
}

/** One `<Contents>` element, as a string: a page has a thousand, and a tree per entry costs more than the query. */
const contentsXml = (e: ObjectListEntry, encode: (s: string) => string, owner: boolean): string =>
  `<Contents><Key>${escapeXml(encode(e.key))}</Key><LastModified>${isoTime(e.createdAt)}</LastModified>`
  + `<ETag>&quot;${escapeXml(e.etag)}&quot;</ETag><Size>${e.size}</Size>${owner ? OWNER_XML : ''}<StorageClass>STANDARD</StorageClass></Contents>`;
const OWNER_XML = `<Owner><ID>${OWNER.ID}</ID><DisplayName>${OWNER.DisplayName}</DisplayName></Owner>`;

/** ListObjectsV2 (`list-type=2`) and ListObjects (v1). */
export async function listObjects(ctx: BucketContext) {
  const q = ctx.query;
  const v2 = q.get('list-type') === '2';
  if (q.get('list-type') !== null && !v2) throw new S3Error('InvalidArgument', 400, 'list-type must be 2');
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = pageLimit(q, 'max-keys');
  const encode = encoderOf(q);
  let after: string;
  // An empty token is no token, as AWS treats it (some clients send `continuation-token=` on the first page).
  const token = q.get('continuation-token') || null;
  if (v2 && token !== null) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (Buffer.from(after, 'utf8').toString('base64url') !== token) throw new S3Error('InvalidArgument', 400, 'The continuation token provided is incorrect');
  } else {
    after = (v2 ? q.get('start-after') : q.get('marker')) ?? '';
  }
  const page = await listPage(
    (from, limit) => ctx.useCases.objects.list(ctx.bucket, { prefix, after: from, limit }),
    { prefix, delimiter, after, maxKeys },
  );
  const common = {
    Name: ctx.bucket,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: q.get('encoding-type') ?? undefined,
    IsTruncated: page.truncated,
  };
  const owner = !v2 || q.get('fetch-owner') === 'true';
  const items = {
    Contents: new RawXml(page.contents.map((e) => contentsXml(e, encode, owner)).join('')),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  };
  if (v2) {
    return sendXml(ctx.reply, 'ListBucketResult', {
      ...common,
      ...(token !== null ? { ContinuationToken: token } : {}),
      ...(q.get('start-after') !== null ? { StartAfter: encode(q.get('start-after')!) } : {}),
      KeyCount: page.contents.length + page.commonPrefixes.length,
      NextContinuationToken: page.truncated && page.next !== undefined ? Buffer.from(page.next, 'utf8').toString('base64url') : undefined,
      ...items,
    });
  }
  return sendXml(ctx.reply, 'ListBucketResult', {
    ...common,
    Marker: encode(q.get('marker') ?? ''),
    NextMarker: page.truncated && page.next !== undefined ? encode(page.next) : undefined,
    ...items,
  });
}

/** DeleteObjects (`POST /bucket?delete`): up to 1,000 keys, each reported deleted (or failed). */
export async function deleteObjects(ctx: BucketContext) {
  const doc = parseXmlBody(await readSmallBody(ctx.request, ctx.auth, MAX_XML_BODY));
  const root = doc['Delete'] as Record<string, unknown> | undefined;
  const objects = many(root?.['Object']);
  if (!root || objects.length === 0 || objects.length > 1000) throw new S3Error('MalformedXML', 400, 'DeleteObjects takes 1 to 1000 <Object> elements');
  const quiet = String(root['Quiet'] ?? 'false').toLowerCase() === 'true';
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  for (const o of objects) {
    const key = (o as Record<string, unknown> | null)?.['Key'];
    if (typeof key !== 'string' || key === '') {
      errors.push({ Key: typeof key === 'string' ? key : '', Code: 'InvalidArgument', Message: 'an <Object> has no <Key>' });
      continue;
    }
    await ctx.useCases.objects.expireKey(ctx.bucket, key, ctx.caller);
    if (!quiet) deleted.push({ Key: key });
  }
  return sendXml(ctx.reply, 'DeleteResult', { Deleted: deleted, Error: errors });
}
