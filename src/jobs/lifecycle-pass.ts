import { lifecycleDueAt, ruleCovers, type LifecycleRule } from '../domain/lifecycle-rules.js';
import type { Fence, MetadataStore } from '../domain/metadata-store.js';
import { tagsOf } from '../domain/object-tags.js';
import type { AuditRecorder } from '../objects/audit-recorder.js';
import type { Logger } from '../observability/logger.js';

export interface LifecycleSummary {
  /** Live objects deleted by an Expiration rule. */
  expired: number;
  /** Incomplete multipart uploads aborted by an AbortIncompleteMultipartUpload rule. */
  aborted: number;
}

const PAGE = 1000;

/**
 * Enforces the buckets' lifecycle rules, one step of the cleaner's pass (so under its lease, on one
 * gateway at a time). Deleting is the same expiry as a DELETE: the object stops being live and its shards
 * are purged after the grace; an object replaced meanwhile is not touched (expiry is by id), so a rule
 * never deletes a newer version than the one it judged.
 */
export async function enforceLifecycle(
  metadata: MetadataStore,
  audit: AuditRecorder,
  log: Logger,
  now: number,
  fence?: Fence,
): Promise<LifecycleSummary> {
  const summary: LifecycleSummary = { expired: 0, aborted: 0 };
  for (const bucket of await metadata.buckets.list()) {
    for (const rule of bucket.lifecycle ?? []) {
      if (!rule.enabled) continue;
      if (rule.expirationDays !== undefined) summary.expired += await expireObjects(metadata, audit, bucket.name, rule, rule.expirationDays, now);
      if (rule.abortIncompleteDays !== undefined) summary.aborted += await abortUploads(metadata, bucket.name, rule, rule.abortIncompleteDays, now, fence);
    }
  }
  if (summary.expired || summary.aborted) log.info({ ...summary }, 'lifecycle rules enforced');
  return summary;
}

async function expireObjects(metadata: MetadataStore, audit: AuditRecorder, bucket: string, rule: LifecycleRule, days: number, now: number): Promise<number> {
  let expired = 0;
  let after = '';
  for (;;) {
    const page = await metadata.objects.list(bucket, { prefix: rule.prefix, after, limit: PAGE });
    for (const entry of page) {
      if (lifecycleDueAt(entry.createdAt, days) > now) continue;
      const object = await metadata.objects.findLive(bucket, entry.key);
      // Replaced since the listing: the newer object is judged by a later pass.
      if (!object || lifecycleDueAt(object.createdAt, days) > now || !ruleCovers(rule, object.key, tagsOf(object.headers))) continue;
      if (!(await metadata.objects.expire(object.id, now))) continue;
      audit.record({ at: now, action: 'expire', objectId: object.id, bucket, key: object.key, client: `lifecycle:${rule.id}`, bytes: 0, durationMs: 0, result: 'ok' });
      expired += 1;
    }
    if (page.length < PAGE) return expired;
    after = page[page.length - 1]!.key;
  }
}

async function abortUploads(metadata: MetadataStore, bucket: string, rule: LifecycleRule, days: number, now: number, fence?: Fence): Promise<number> {
  let aborted = 0;
  let afterKey = '';
  let afterId = '';
  for (;;) {
    const page = await metadata.multipart.list(bucket, { prefix: rule.prefix, afterKey, afterId, limit: PAGE });
    for (const upload of page) {
      if (lifecycleDueAt(upload.createdAt, days) > now) continue;
      if (await metadata.multipart.abort(upload.id, now, fence)) aborted += 1;
    }
    if (page.length < PAGE) return aborted;
    const last = page[page.length - 1]!;
    afterKey = last.key;
    afterId = last.id;
  }
}
