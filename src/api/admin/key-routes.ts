import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { newAccessKey } from '../../core/ids.js';
import type { AccessKeys, BucketCatalog } from '../../domain/metadata-store.js';
import { BUCKET_ACCESS } from '../../domain/records.js';
import { acceptRawBodies, readSmallBody } from '../../http/raw-body.js';
import { refuseOtherMethods } from './job-routes.js';

export interface KeyAdminDeps {
  keys: AccessKeys;
  buckets: BucketCatalog;
}

const newKeySchema = z.object({ name: z.string().max(200).default(''), admin: z.boolean().default(false) }).strict();
const grantSchema = z.object({ access: z.enum(BUCKET_ACCESS) }).strict();
const publicReadSchema = z.object({ publicRead: z.boolean() }).strict();

/** A small JSON body checked against its schema; 400 with what is wrong. */
async function bodyOf<T>(request: FastifyRequest, schema: z.ZodType<T>, what: string): Promise<T> {
  let body: unknown;
  try {
    const text = (await readSmallBody(request.raw)).toString('utf8');
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`${what}: the body is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError(`${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The S3 access keys and their rights, and the buckets' public-read switch, over the admin API (what
 * `shardstore keys` and `shardstore buckets` do on the metadata store): list keys with their rights, create
 * one (its secret is in the answer, once), delete one, grant or take away a key's access to a bucket.
 */
export function registerKeyRoutes(app: FastifyInstance, deps: KeyAdminDeps): void {
  acceptRawBodies(app);
  const { keys, buckets } = deps;
  const params = (request: FastifyRequest) => request.params as { key: string; bucket?: string };
  const existingBucket = async (name: string) => {
    if (!(await buckets.find(name))) throw new NotFoundError(`no bucket ${name}`);
  };

  app.get('/_keys', async () => {
    const grants = await keys.grants();
    return (await keys.list()).map((k) => ({
      accessKey: k.accessKey, name: k.name, createdAt: new Date(k.createdAt).toISOString(), admin: k.admin,
      buckets: Object.fromEntries(grants.filter((g) => g.accessKey === k.accessKey).map((g) => [g.bucket, g.access])),
    }));
  });
  app.post('/_keys', async (request, reply) => {
    const { name, admin } = await bodyOf(request, newKeySchema, 'a new key');
    const key = newAccessKey(name, admin);
    await keys.create(key);
    return reply.code(201).send({ accessKey: key.accessKey, secretKey: key.secretKey, name: key.name, admin: key.admin });
  });
  refuseOtherMethods(app, '/_keys', ['GET', 'POST']);

  app.delete('/_keys/:key', async (request, reply) => {
    if (!(await keys.remove(params(request).key))) throw new NotFoundError(`no access key ${params(request).key}`);
    return reply.code(204).send();
  });
  refuseOtherMethods(app, '/_keys/:key', ['DELETE']);

  app.put('/_keys/:key/buckets/:bucket', async (request) => {
    const { key, bucket = '' } = params(request);
    const { access } = await bodyOf(request, grantSchema, 'a grant');
    await existingBucket(bucket);
    if (!(await keys.grant(key, bucket, access))) throw new NotFoundError(`no access key ${key}`);
    return { accessKey: key, bucket, access };
  });
  app.delete('/_keys/:key/buckets/:bucket', async (request, reply) => {
    const { key, bucket = '' } = params(request);
    if (!(await keys.grant(key, bucket, null))) throw new NotFoundError(`no access key ${key}`);
    return reply.code(204).send();
  });
  refuseOtherMethods(app, '/_keys/:key/buckets/:bucket', ['PUT', 'DELETE']);

  app.put('/_buckets/:bucket/public-read', async (request) => {
    const { bucket = '' } = params(request);
    const { publicRead } = await bodyOf(request, publicReadSchema, 'public-read');
    if (!(await buckets.setPublicRead(bucket, publicRead))) throw new NotFoundError(`no bucket ${bucket}`);
    return { bucket, publicRead };
  });
  refuseOtherMethods(app, '/_buckets/:bucket/public-read', ['PUT']);
}
