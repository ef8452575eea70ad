import type { FastifyRequest } from 'fastify';
import type { AuditAction, AuditEntry } from '../metadata/records.js';

/** An action-log entry for a request about an object (or an upload that never became one). */
export function auditEntry(
  request: FastifyRequest,
  action: AuditAction,
  object: { id: string | null; bucket: string; key: string | null },
  bytes: number,
  durationMs: number,
  result: string,
): AuditEntry {
  return { at: Date.now(), action, objectId: object.id, bucket: object.bucket, key: object.key, client: request.client || request.ip || null, bytes, durationMs, result };
}
