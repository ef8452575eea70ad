import type { Command } from 'commander';
import { openMetadataStore } from '../metadata/open-store.js';
import { redactUrl } from '../metadata/schema-check.js';
import type { MetadataStore } from '../domain/metadata-store.js';

/** `--db`, defaulting to SHARDSTORE_DB: the metadata store a command works on directly. */
export const dbOption = (c: Command): Command => c.option('--db <url>', 'metadata store: sqlite:FILE or postgres://…', process.env.SHARDSTORE_DB);

/**
 * Runs a command's work against the metadata store and exits with its code (0 unless it returns one);
 * a missing `--db` is exit 2, and so is a store that cannot be opened (its message without a password).
 */
export async function withStore(command: string, db: string | undefined, work: (store: MetadataStore) => Promise<number | void>): Promise<void> {
  if (!db) {
    process.stderr.write(`shardstore ${command}: --db is required (or SHARDSTORE_DB)\n`);
    process.exit(2);
  }
  let code = 0;
  try {
    const store = await openMetadataStore(db, { migrate: false });
    try {
      code = (await work(store)) ?? 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    process.stderr.write(`shardstore ${command}: ${redactUrl((error as Error).message)}\n`);
    code = 2;
  }
  process.exit(code);
}
