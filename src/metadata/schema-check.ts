import { SchemaTooOldError } from '../core/errors.js';

export interface OpenOptions {
  /** Apply pending migrations on open (`shardstore migrate`, the local cluster); otherwise require them. */
  readonly migrate: boolean;
  /** The store's URL as the operator gave it, for messages. */
  readonly url?: string;
  /** PostgreSQL: a statement unanswered this long fails as an outage, and its connection is dropped; 0: no deadline. */
  readonly queryTimeoutMs?: number;
}

/** Hides the passwords of database URLs in a text before it goes into a message or a log. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z]+:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/**
 * A gateway never runs on a schema older than its code: it would write rows the old schema cannot hold.
 * A newer schema is fine, since migrations only add, so old gateways keep running through an upgrade.
 */
export function requireSchema(found: number, needed: number, url: string): void {
  if (found >= needed) return;
  const state = found === 0 ? 'has no Shardstore schema yet' : `has schema version ${found}`;
  throw new SchemaTooOldError(
    `the metadata store ${redactUrl(url)} ${state}; this version needs ${needed}. ` +
      `Run \`shardstore migrate --db ${redactUrl(url)}\` first (safe while other gateways run).`,
  );
}
