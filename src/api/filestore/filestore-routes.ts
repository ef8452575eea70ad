import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { create as contentDisposition, parse as parseDisposition } from 'content-disposition';
import { contentTypeFor } from '../../core/content-type.js';
import { ForbiddenError, GoneError, InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { cleanFileName } from '../../domain/file-name.js';
import { isUuid } from '../../core/ids.js';
import { hashOwnerKey, ownerKeyMatches } from '../../domain/owner-key.js';
import { FILESTORE_BUCKET, type ObjectRecord } from '../../domain/records.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { headerText } from '../../http/header-text.js';
import { clientSignal } from '../../http/client-signal.js';
import { declaredLength } from '../../http/declared-length.js';
import { firstFormFile, isMultipart } from '../../http/multipart-file.js';
import { newObjectId } from '../../core/ids.js';
import { sendObject } from '../object-response.js';
import { countedBody } from '../counted-body.js';
import { callerOf } from '../caller.js';
import { fileInfo } from './file-info.js';

/**
 * The file store API: anonymous uploads addressed by a generated GUID,
 * deleted (expired, then purged by the cleaner) only with the owner key handed out at upload.
 */
export function registerFilestoreRoutes(app: FastifyInstance, objects: ObjectStore): void {
  acceptRawBodies(app);

  app.post('/filestore', async (request, reply) => {
    // The file's GUID is its object id (time-ordered, docs/decisions/0015-time-ordered-object-ids.md); the
    // owner key is a secret, so all random.
    const id = newObjectId();
    const ownerKey = randomUUID();
    const signal = clientSignal(request, reply);
    const query = request.query as { name?: string };
    let body: AsyncIterable<Uint8Array>;
    let name: string | undefined;
    let declared: number | undefined;
    let type: string | undefined;
    if (isMultipart(request.headers['content-type'])) {
      const file = await firstFormFile(request.raw, signal);
      body = countedBody(request, file.stream);
      name = cleanFileName(file.filename) ?? cleanFileName(query.name);
      type = file.mimeType === 'application/octet-stream' ? undefined : file.mimeType;
    } else {
      body = countedBody(request);
      name = cleanFileName(nameFromDisposition(request.headers['content-disposition'])) ?? cleanFileName(query.name);
      declared = declaredLength(request.headers);
      type = request.headers['content-type'];
    }
    const { object } = await objects.put({
      bucket: FILESTORE_BUCKET,
      key: id,
      objectId: id,
      body,
      declaredSize: declared,
      name: name ?? null,
      contentType: contentTypeFor(name ?? '', type),
      ownerKeyHash: hashOwnerKey(ownerKey),
      signal,
    }, callerOf(request));
    return reply.code(201).header('location', `/filestore/${id}`).send({ ...fileInfo(object), owner_key: ownerKey });
  });

  const download = async (request: FastifyRequest, reply: FastifyReply, head: boolean) => {
    const object = await fileOrThrow(objects, (request.params as { id: string }).id);
    if (object.expiresAt !== null) throw new GoneError(`file ${object.id} has been deleted`);
    return sendObject(objects, request, reply, object, head, {
      // A file can be deleted by its owner: caches must revalidate.
      cacheControl: 'private, no-cache',
      disposition: contentDisposition(object.name ?? object.id, { type: 'attachment' }),
    });
  };
  app.get('/filestore/:id', (request, reply) => download(request, reply, false));
  app.head('/filestore/:id', (request, reply) => download(request, reply, true));

  app.delete('/filestore/:id', async (request) => {
    const id = (request.params as { id: string }).id;
    if (!isUuid(id)) throw new InvalidRequestError('a file id is a GUID');
    const presented = (request.query as { owner_key?: string }).owner_key ?? headerValue(request.headers['x-owner-key']);
    if (!presented) throw new InvalidRequestError("the owner key is required (query parameter 'owner_key' or header 'X-Owner-Key')");
    const object = await fileOrThrow(objects, id);
    if (!ownerKeyMatches(presented, await objects.ownerKeyHash(id))) throw new ForbiddenError('the owner key does not match this file');
    if (object.expiresAt !== null || !(await objects.expire(object, callerOf(request)))) throw new GoneError(`file ${id} has been deleted`);
    return fileInfo((await objects.findById(id))!);
  });

  app.get('/fileinfo/:id', async (request) => fileInfo(await fileOrThrow(objects, (request.params as { id: string }).id)));
}

async function fileOrThrow(objects: ObjectStore, id: string): Promise<ObjectRecord> {
  if (!isUuid(id)) throw new InvalidRequestError('a file id is a GUID');
  const object = await objects.findById(id);
  if (!object || object.bucket !== FILESTORE_BUCKET) throw new NotFoundError(`no file ${id}`);
  return object;
}

function nameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    const name = parseDisposition(header).parameters.filename;
    // `filename*` (RFC 6266) is decoded by the parser; a plain `filename` may carry raw UTF-8 bytes.
    return name === undefined || /filename\*\s*=/i.test(header) ? name : headerText(name);
  } catch {
    throw new InvalidRequestError('malformed Content-Disposition header');
  }
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
