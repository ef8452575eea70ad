import { tagsOf, withTags, type ObjectTag } from '../../domain/object-tags.js';
import type { ObjectRecord } from '../../domain/records.js';
import { readSmallBody } from './s3-body.js';
import { sendXml, type ObjectContext } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { checkedTags } from './s3-headers.js';
import { many, MAX_XML_BODY, parseXmlBody } from './s3-xml.js';

const noSuchKey = () => new S3Error('NoSuchKey', 404, 'The specified key does not exist.');

async function liveObject(ctx: ObjectContext): Promise<ObjectRecord> {
  const object = await ctx.useCases.objects.findLive(ctx.bucket, ctx.key);
  if (!object) throw noSuchKey();
  return object;
}

/** GetObjectTagging: `GET /bucket/key?tagging`. */
export async function getObjectTagging(ctx: ObjectContext) {
  const object = await liveObject(ctx);
  return sendXml(ctx.reply, 'Tagging', { TagSet: { Tag: tagsOf(object.headers).map((t) => ({ Key: t.key, Value: t.value })) } });
}

/** PutObjectTagging: `PUT /bucket/key?tagging` with `<Tagging><TagSet><Tag>…`; replaces the whole set. */
export async function putObjectTagging(ctx: ObjectContext) {
  const doc = parseXmlBody(await readSmallBody(ctx.request, ctx.auth, MAX_XML_BODY));
  const root = doc['Tagging'] as Record<string, unknown> | undefined;
  const set = root?.['TagSet'];
  if (!root || set === undefined) throw new S3Error('MalformedXML', 400, 'PutObjectTagging takes <Tagging><TagSet>…</TagSet></Tagging>');
  // An empty <TagSet/> parses as text: no tags.
  const listed = set !== null && typeof set === 'object' ? (set as Record<string, unknown>)['Tag'] : undefined;
  const tags = many(listed).map((t): ObjectTag => {
    const fields = (t ?? {}) as Record<string, unknown>;
    if (typeof fields['Key'] !== 'string') throw new S3Error('MalformedXML', 400, 'every <Tag> needs a <Key>');
    return { key: fields['Key'], value: typeof fields['Value'] === 'string' ? fields['Value'] : '' };
  });
  await replaceTags(ctx, checkedTags(tags));
  return ctx.reply.code(200).send();
}

/** DeleteObjectTagging: `DELETE /bucket/key?tagging`. */
export async function deleteObjectTagging(ctx: ObjectContext) {
  await replaceTags(ctx, []);
  return ctx.reply.code(204).send();
}

async function replaceTags(ctx: ObjectContext, tags: readonly ObjectTag[]): Promise<void> {
  const object = await liveObject(ctx);
  // False when the object was replaced or deleted meanwhile: the tags were for an object that is gone.
  if (!(await ctx.useCases.objects.setHeaders(object, withTags(object.headers, tags)))) throw noSuchKey();
}
