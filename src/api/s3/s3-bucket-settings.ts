import { corsRulesProblem, type CorsRule } from '../../domain/cors-rules.js';
import { lifecycleRulesProblem, type LifecycleRule } from '../../domain/lifecycle-rules.js';
import type { ObjectTag } from '../../domain/object-tags.js';
import type { Bucket, BucketSettings } from '../../domain/records.js';
import { readSmallBody } from './s3-body.js';
import { sendXml, type BucketContext } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { many, MAX_XML_BODY, parseXmlBody, type XmlElement } from './s3-xml.js';

type Fields = Record<string, unknown>;

const noSuchBucket = () => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
const malformed = (message: string) => new S3Error('MalformedXML', 400, message);

/** Texts of a repeated element (`<AllowedMethod>` …), trimmed as S3 reads them. */
const texts = (value: unknown): string[] => many(value).map((v) => (typeof v === 'string' ? v.trim() : ''));
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value.trim() : undefined);
const fields = (value: unknown): Fields => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {});

/** A whole number from an XML element, or undefined when absent; non-numbers fail the configuration's own check. */
function wholeNumber(value: unknown, what: string): number | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw malformed(`${what} must be a whole number`);
  return Number(raw);
}

async function documentRoot(ctx: BucketContext, root: string): Promise<Fields> {
  const doc = parseXmlBody(await readSmallBody(ctx.request, ctx.auth, MAX_XML_BODY));
  if (!(root in doc)) throw malformed(`the request body must be a <${root}> document`);
  return fields(doc[root]);
}

async function saveSetting<K extends keyof BucketSettings>(ctx: BucketContext, setting: K, value: BucketSettings[K] | null): Promise<void> {
  if (!(await ctx.useCases.buckets.configure(ctx.bucket, setting, value))) throw noSuchBucket();
}

async function settingOf<K extends keyof BucketSettings>(ctx: BucketContext, setting: K): Promise<Bucket[K]> {
  const bucket = await ctx.useCases.buckets.find(ctx.bucket);
  if (!bucket) throw noSuchBucket();
  return bucket[setting];
}

// ---- CORS ----

/** PutBucketCors: `PUT /bucket?cors` with `<CORSConfiguration><CORSRule>…`; replaces every rule. */
export async function putBucketCors(ctx: BucketContext) {
  const root = await documentRoot(ctx, 'CORSConfiguration');
  const rules = many(root['CORSRule']).map((r): CorsRule => {
    const f = fields(r);
    const id = text(f['ID']);
    const maxAgeSeconds = wholeNumber(f['MaxAgeSeconds'], 'MaxAgeSeconds');
    return {
      ...(id ? { id } : {}),
      allowedOrigins: texts(f['AllowedOrigin']),
      allowedMethods: texts(f['AllowedMethod']),
      allowedHeaders: texts(f['AllowedHeader']),
      exposeHeaders: texts(f['ExposeHeader']),
      ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
    };
  });
  const problem = corsRulesProblem(rules);
  if (problem) throw new S3Error(problem.startsWith('a CORS') ? 'MalformedXML' : 'InvalidRequest', 400, problem);
  await saveSetting(ctx, 'cors', rules);
  return ctx.reply.code(200).send();
}

/** GetBucketCors: `GET /bucket?cors`; 404 NoSuchCORSConfiguration when the bucket has none. */
export async function getBucketCors(ctx: BucketContext) {
  const rules = await settingOf(ctx, 'cors');
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist');
  return sendXml(ctx.reply, 'CORSConfiguration', {
    CORSRule: rules.map((r): XmlElement => ({
      ID: r.id,
      AllowedHeader: [...r.allowedHeaders],
      AllowedMethod: [...r.allowedMethods],
      AllowedOrigin: [...r.allowedOrigins],
      ExposeHeader: [...r.exposeHeaders],
      MaxAgeSeconds: r.maxAgeSeconds,
    })),
  });
}

/** DeleteBucketCors: `DELETE /bucket?cors`. */
export async function deleteBucketCors(ctx: BucketContext) {
  await saveSetting(ctx, 'cors', null);
  return ctx.reply.code(204).send();
}

// ---- Lifecycle ----

const tagOf = (value: unknown): ObjectTag => {
  const f = fields(value);
  const key = text(f['Key']);
  if (key === undefined) throw malformed('every <Tag> needs a <Key>');
  return { key, value: text(f['Value']) ?? '' };
};

/** A rule's filter: `<Filter>` with a Prefix, a Tag or an `<And>` of both, or the older `<Prefix>` of the rule. */
function filterOf(rule: Fields): { prefix: string; tags: ObjectTag[] } {
  if (!('Filter' in rule)) return { prefix: text(rule['Prefix']) ?? '', tags: [] };
  const filter = fields(rule['Filter']);
  for (const unsupported of ['ObjectSizeGreaterThan', 'ObjectSizeLessThan']) {
    if (unsupported in filter || unsupported in fields(filter['And'])) throw new S3Error('NotImplemented', 501, `the lifecycle filter ${unsupported} is not implemented by Shardstore`);
  }
  const and = fields(filter['And']);
  const given = [filter['Prefix'] !== undefined, filter['Tag'] !== undefined, filter['And'] !== undefined].filter(Boolean).length;
  if (given > 1) throw malformed('a lifecycle <Filter> holds one of <Prefix>, <Tag> or <And>');
  return {
    prefix: text(filter['Prefix']) ?? text(and['Prefix']) ?? '',
    tags: [...many(filter['Tag']), ...many(and['Tag'])].map(tagOf),
  };
}

/** Actions Shardstore does not have (transitions to other storage classes, versions it does not keep). */
const UNSUPPORTED_ACTIONS = ['Transition', 'Transitions', 'NoncurrentVersionExpiration', 'NoncurrentVersionTransition', 'NoncurrentVersionTransitions'];

/** PutBucketLifecycleConfiguration: `PUT /bucket?lifecycle`; replaces every rule. */
export async function putBucketLifecycle(ctx: BucketContext) {
  const root = await documentRoot(ctx, 'LifecycleConfiguration');
  const rules = many(root['Rule']).map((r, i): LifecycleRule => {
    const f = fields(r);
    const action = UNSUPPORTED_ACTIONS.find((a) => a in f);
    if (action) throw new S3Error('NotImplemented', 501, `the lifecycle action ${action} is not implemented by Shardstore (one storage class, no versions)`);
    const status = text(f['Status']);
    if (status !== 'Enabled' && status !== 'Disabled') throw malformed(`Rule ${i + 1}: <Status> must be Enabled or Disabled`);
    const expiration = fields(f['Expiration']);
    if ('Date' in expiration || 'ExpiredObjectDeleteMarker' in expiration) {
      throw new S3Error('NotImplemented', 501, 'lifecycle Expiration by Date or ExpiredObjectDeleteMarker is not implemented by Shardstore; use Days');
    }
    if ('Expiration' in f && !('Days' in expiration)) throw malformed(`Rule ${i + 1}: <Expiration> needs <Days>`);
    const expirationDays = wholeNumber(expiration['Days'], 'Days');
    const abortIncompleteDays = wholeNumber(fields(f['AbortIncompleteMultipartUpload'])['DaysAfterInitiation'], 'DaysAfterInitiation');
    return {
      id: text(f['ID']) || `rule-${i + 1}`,
      enabled: status === 'Enabled',
      ...filterOf(f),
      ...(expirationDays !== undefined ? { expirationDays } : {}),
      ...(abortIncompleteDays !== undefined ? { abortIncompleteDays } : {}),
    };
  });
  const problem = lifecycleRulesProblem(rules);
  if (problem) throw new S3Error(problem.startsWith('a lifecycle') ? 'MalformedXML' : 'InvalidArgument', 400, problem);
  await saveSetting(ctx, 'lifecycle', rules);
  return ctx.reply.code(200).send();
}

function filterXml(rule: LifecycleRule): XmlElement {
  const tags = rule.tags.map((t) => ({ Key: t.key, Value: t.value }));
  if (tags.length === 0) return { Prefix: rule.prefix };
  if (tags.length === 1 && rule.prefix === '') return { Tag: tags[0] };
  return { And: { Prefix: rule.prefix || undefined, Tag: tags } };
}

/** GetBucketLifecycleConfiguration: `GET /bucket?lifecycle`; 404 NoSuchLifecycleConfiguration when none. */
export async function getBucketLifecycle(ctx: BucketContext) {
  const rules = await settingOf(ctx, 'lifecycle');
  if (!rules) throw new S3Error('NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist');
  return sendXml(ctx.reply, 'LifecycleConfiguration', {
    Rule: rules.map((r): XmlElement => ({
      ID: r.id,
      Filter: filterXml(r),
      Status: r.enabled ? 'Enabled' : 'Disabled',
      Expiration: r.expirationDays !== undefined ? { Days: r.expirationDays } : undefined,
      AbortIncompleteMultipartUpload: r.abortIncompleteDays !== undefined ? { DaysAfterInitiation: r.abortIncompleteDays } : undefined,
    })),
  });
}

/** DeleteBucketLifecycle: `DELETE /bucket?lifecycle`. */
export async function deleteBucketLifecycle(ctx: BucketContext) {
  await saveSetting(ctx, 'lifecycle', null);
  return ctx.reply.code(204).send();
}
