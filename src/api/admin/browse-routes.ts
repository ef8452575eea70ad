import type { FastifyInstance, FastifyRequest } from 'fastify';
import { create as contentDisposition } from 'content-disposition';
import { ForbiddenError, InvalidRequestError, NotFoundError, UnauthorizedError } from '../../core/errors.js';
import { s3KeyProblem } from '../../domain/s3-names.js';
import { FILESTORE_BUCKET, PATHS_BUCKET, type AccessKey, type BucketAccess, type ObjectRecord } from '../../domain/records.js';
import { permits } from '../../domain/bucket-access.js';
import type { UseCases } from '../../objects/use-cases.js';
import { browserFor } from '../../http/auth-scopes.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { clientSignal } from '../../http/client-signal.js';
import { declaredLength } from '../../http/declared-length.js';
import { callerOf } from '../caller.js';
import { sendObject } from '../object-response.js';
import { countedBody } from '../counted-body.js';
import { listPage } from '../s3/s3-listing.js';
import { refuseOtherMethods } from './job-routes.js';

export interface BrowseDeps {
  useCases: UseCases;
  /** An S3 access key with its rights, if it exists: a key's console session sees what the key may. */
  keyOf: (accessKey: string) => Promise<AccessKey | undefined>;
}

const MAX_TEXT = 1024;

/** The namespaces an operator can browse: the path store, the file store and every S3 bucket. */
async function namespaces(useCases: UseCases) {
  const s3 = await useCases.buckets.list();
  return [
    { name: PATHS_BUCKET, kind: 'paths', title: 'Path store' },
    { name: FILESTORE_BUCKET, kind: 'filestore', title: 'File store' },
    ...s3.map((b) => ({ name: b.name, kind: 's3', title: `s3://${b.name}`, created: new Date(b.createdAt).toISOString(), publicRead: b.publicRead === true })),
  ];
}

function text(q: Record<string, string | undefined>, name: string, required: boolean): string {
  const value = q[name];
  if (value === undefined || value === '') {
    if (required) throw new InvalidRequestError(`the query parameter '${name}' is required`);
    return '';
  }
  if (value.length > MAX_TEXT) throw new InvalidRequestError(`'${name}' is longer than ${MAX_TEXT} characters`);
  return value;
}

/**
 * Browsing for operators and the web console, over every namespace: `GET /_buckets`, `GET /_browse`
 * (one level under a prefix: folders and objects), and `GET|PUT|DELETE /_browse/object` and
 * `GET /_browse/download` for one object by namespace and key. Registered in the browse scope
 * (src/http/auth-scopes.ts), which has identified the caller before any handler runs.
 */
export function registerBrowseRoutes(app: FastifyInstance, deps: BrowseDeps): void {
  acceptRawBodies(app);
  const { useCases } = deps;
  const { objects } = useCases;
  const isS3 = (bucket: string) => bucket !== PATHS_BUCKET && bucket !== FILESTORE_BUCKET;
  /** The signed-in key of a key's session, or undefined for the admin; a key deleted since is refused. */
  const sessionKey = async (request: FastifyRequest): Promise<AccessKey | undefined> => {
    const identity = browserFor(request, undefined);
    if (identity.role === 'admin') return undefined;
    const key = await deps.keyOf(identity.accessKey);
    if (!key) throw new UnauthorizedError(`the access key ${identity.accessKey} no longer exists`);
    return key.admin ? undefined : key;
  };
  /**
   * The request's bucket, once the caller may do `needed` in it (the admin: anything anywhere; an S3 key's
   * session: S3 buckets, as far as the key's rights go) and it exists.
   */
  const namespaceOf = async (request: FastifyRequest, needed: BucketAccess): Promise<string> => {
    const bucket = text(request.query as Record<string, string | undefined>, 'bucket', true);
    browserFor(request, isS3(bucket));
    if (isS3(bucket) && !(await useCases.buckets.exists(bucket))) throw new NotFoundError(`no bucket '${bucket}'`);
    const key = await sessionKey(request);
    if (key && !permits(await useCases.buckets.accessTo(key, bucket), needed)) {
      throw new ForbiddenError(`the access key ${key.accessKey} may not ${needed === 'read' ? 'read' : 'write to'} bucket ${bucket}`);
    }
    return bucket;
  };
  const liveObject = async (request: FastifyRequest, needed: BucketAccess = 'read'): Promise<ObjectRecord> => {
    const bucket = await namespaceOf(request, needed);
    const key = text(request.query as Record<string, string | undefined>, 'key', true);
    const object = await objects.findLive(bucket, key);
    if (!object) throw new NotFoundError(`no object '${key}' in '${bucket}'`);
    return object;
  };

  app.get('/_buckets', async (request) => {
    const identity = browserFor(request, undefined);
    const all = await namespaces(useCases);
    if (identity.role === 'admin') return { buckets: all };
    const key = await sessionKey(request);
    const visible = key ? new Set((await useCases.buckets.visibleTo(key)).map((b) => b.name)) : undefined;
    return { buckets: all.filter((n) => n.kind === 's3' && (!visible || visible.has(n.name))) };
  });

  app.get('/_browse', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const bucket = await namespaceOf(request, 'read');
    const prefix = text(q, 'prefix', false);
    const limit = q['limit'] === undefined ? 200 : Number(q['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidRequestError('limit must be an integer from 1 to 1000');
    const page = await listPage((after, n) => objects.list(bucket, { prefix, after, limit: n }), {
      prefix,
      delimiter: '/',
      after: text(q, 'after', false),
      maxKeys: limit,
    });
    // File store keys are GUIDs; people know their files by the names they uploaded them with. (Looked up
    // per object here rather than carried by every listing: PostgreSQL lists keys from a covering index.)
    const names = bucket === FILESTORE_BUCKET ? await Promise.all(page.contents.map(async (e) => (await objects.findById(e.key))?.name ?? null)) : [];
    return {
      bucket,
      prefix,
      folders: page.commonPrefixes,
      objects: page.contents.map((e, i) => ({
        key: e.key, size: e.size, etag: e.etag, created: new Date(e.createdAt).toISOString(), ...(bucket === FILESTORE_BUCKET ? { name: names[i] } : {}),
      })),
      next: page.truncated ? (page.next ?? null) : null,
    };
  });

  app.get('/_browse/object', async (request) => {
    return objects.describe(await liveObject(request));
  });

  app.delete('/_browse/object', async (request, reply) => {
    const object = await liveObject(request, 'write');
    if (!(await objects.expire(object, callerOf(request)))) throw new NotFoundError(`no object '${object.key}'`);
    return reply.code(204).send();
  });

  // Uploads into an S3 bucket from the console (the path and file stores take theirs through their public
  // APIs): the same stored object as a PutObject, overwrite included; S3 clients keep using the S3 API.
  app.put('/_browse/object', async (request, reply) => {
    const bucket = await namespaceOf(request, 'write');
    if (bucket === PATHS_BUCKET || bucket === FILESTORE_BUCKET) {
      throw new InvalidRequestError(`upload into '${bucket}' through its own API (POST /<path> or POST /filestore)`);
    }
    const key = text(request.query as Record<string, string | undefined>, 'key', true);
    const problem = s3KeyProblem(key);
    if (problem) throw new InvalidRequestError(problem);
    const { object } = await objects.put({
      bucket,
      key,
      body: countedBody(request),
      declaredSize: declaredLength(request.headers),
      contentType: request.headers['content-type'] ?? null,
      replace: true,
      bucketMustExist: true,
      signal: clientSignal(request, reply),
    }, callerOf(request));
    return reply.code(201).send({ bucket, key, size: object.size, etag: object.etag, sha256: object.sha256 });
  });

  // A download link cannot carry the console's header; it reads and changes nothing, and the session
  // cookie is SameSite=Strict, so the cookie alone is enough here.
  app.get('/_browse/download', { config: { cookieAlone: true } }, async (request, reply) => {
    const object = await liveObject(request);
    const name = object.name ?? object.key.split('/').pop() ?? object.id;
    return sendObject(objects, request, reply, object, false, { disposition: contentDisposition(name || object.id, { type: 'attachment' }), cacheControl: 'private, no-store' });
  });

  refuseOtherMethods(app, '/_buckets', ['GET']);
  refuseOtherMethods(app, '/_browse', ['GET']);
  refuseOtherMethods(app, '/_browse/object', ['GET', 'PUT', 'DELETE']);
  refuseOtherMethods(app, '/_browse/download', ['GET']);
}
