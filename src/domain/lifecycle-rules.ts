import type { ObjectTag } from './object-tags.js';

/** One rule of a bucket's lifecycle configuration (the S3 subset Shardstore enforces). */
export interface LifecycleRule {
  readonly id: string;
  readonly enabled: boolean;
  /** Objects whose keys start with it (empty: every object). */
  readonly prefix: string;
  /** Objects that carry every one of these tags. */
  readonly tags: readonly ObjectTag[];
  /** Live objects older than this many days are deleted. */
  readonly expirationDays?: number;
  /** Multipart uploads begun this many days ago and not completed are aborted. */
  readonly abortIncompleteDays?: number;
}

/** S3's limit on rules per bucket. */
export const MAX_LIFECYCLE_RULES = 1000;
const MAX_ID_CHARS = 255;
const DAY_MS = 86_400_000;

/** Why a lifecycle configuration is refused, or undefined when it is acceptable (S3's rules and messages). */
export function lifecycleRulesProblem(rules: readonly LifecycleRule[]): string | undefined {
  if (rules.length === 0) return 'a lifecycle configuration needs at least one Rule';
  if (rules.length > MAX_LIFECYCLE_RULES) return `a lifecycle configuration has at most ${MAX_LIFECYCLE_RULES} rules`;
  const ids = new Set<string>();
  for (const rule of rules) {
    if ([...rule.id].length > MAX_ID_CHARS) return `ID length should not exceed allowed limit of ${MAX_ID_CHARS}`;
    if (ids.has(rule.id)) return 'Rule ID must be unique. Found same ID for more than one rule';
    ids.add(rule.id);
    if (rule.expirationDays === undefined && rule.abortIncompleteDays === undefined) {
      return 'At least one action needs to be specified in a rule';
    }
    for (const days of [rule.expirationDays, rule.abortIncompleteDays]) {
      if (days !== undefined && (!Number.isInteger(days) || days <= 0)) return "'Days' for Expiration action must be a positive integer";
    }
    if (rule.abortIncompleteDays !== undefined && rule.tags.length > 0) {
      return 'AbortIncompleteMultipartUpload cannot be specified with Tags.';
    }
  }
  return undefined;
}

/**
 * When a rule of `days` acts on something made at `createdAt`: S3 adds the days to the creation time and
 * rounds up to the next midnight UTC, so every object of one day expires together.
 */
export function lifecycleDueAt(createdAt: number, days: number): number {
  return Math.ceil((createdAt + days * DAY_MS) / DAY_MS) * DAY_MS;
}

/** Whether a rule covers an object with this key and these tags (every tag of the filter, exactly). */
export function ruleCovers(rule: LifecycleRule, key: string, tags: readonly ObjectTag[]): boolean {
  return rule.enabled && key.startsWith(rule.prefix) && rule.tags.every((t) => tags.some((o) => o.key === t.key && o.value === t.value));
}
