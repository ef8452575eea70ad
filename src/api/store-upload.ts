import type { FastifyRequest } from 'fastify';
import { ShardstoreError } from '../core/errors.js';
import type { ObjectServices } from '../objects/object-services.js';
import { putObject, type PutObjectInput, type StoredObject } from '../objects/put-object.js';
import { auditEntry } from './audit-entry.js';

/** Failures that refuse an upload before it starts: not worth an `abort` entry. */
const REFUSALS = new Set(['KEY_EXISTS', 'INVALID_KEY', 'INVALID_REQUEST', 'OBJECT_TOO_LARGE']);

/** Stores an upload and logs it: `create` when it is committed, `abort` when it fails midway. */
export async function storeUpload(svc: ObjectServices, request: FastifyRequest, input: PutObjectInput): Promise<StoredObject> {
  const started = Date.now();
  try {
    const stored = await putObject(svc, input);
    const { object } = stored;
    svc.audit.record(auditEntry(request, 'create', object, object.size, Date.now() - started, 'ok'));
    return stored;
  } catch (error) {
    const code = error instanceof ShardstoreError ? error.code : 'INTERNAL';
    if (!REFUSALS.has(code)) {
      svc.audit.record(
        auditEntry(request, 'abort', { id: input.objectId ?? null, bucket: input.bucket, key: input.key }, request.transferBytes, Date.now() - started, code),
      );
    }
    throw error;
  }
}

/** The request body as chunks, counting the bytes for the access and action logs. */
export async function* countedBody(request: FastifyRequest, body: AsyncIterable<Uint8Array> = request.raw): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    request.transferBytes += chunk.length;
    yield chunk;
  }
}
