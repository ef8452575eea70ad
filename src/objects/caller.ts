import type { AuditAction, AuditEntry } from '../domain/records.js';

/** Who asked, as the action log records it; each API surface makes one from its request. */
export interface Caller {
  /** The client's address (the first X-Forwarded-For hop behind a trusted proxy), if known. */
  readonly client: string | null;
  /** Request body bytes received so far: an upload that fails midway logs how far it got. */
  bytesIn(): number;
}

/** An action-log entry for a request about an object (or an upload that never became one). */
export function auditEntry(
  caller: Caller,
  action: AuditAction,
  object: { id: string | null; bucket: string; key: string | null },
  bytes: number,
  durationMs: number,
  result: string,
): AuditEntry {
  return { at: Date.now(), action, objectId: object.id, bucket: object.bucket, key: object.key, client: caller.client, bytes, durationMs, result };
}
