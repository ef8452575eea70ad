import type { Command } from 'commander';
import { openMetadataStore } from '../metadata/open-store.js';
import { redactUrl } from '../metadata/schema-check.js';
import type { AppliedMigration } from '../domain/metadata-store.js';

export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the metadata schema (idempotent; safe while gateways run)')
    .option('--db <url>', 'metadata store: sqlite:FILE or postgres://…', process.env.SHARDSTORE_DB)
    .action(async (opts: { db?: string }) => {
      if (!opts.db) {
        process.stderr.write('shardstore migrate: --db is required (e.g. sqlite:./data/meta.db or postgres://user@host/db)\n');
        process.exit(2);
      }
      let applied: readonly AppliedMigration[];
      try {
        // Opening with migrate applies every pending migration, each in its own transaction.
        const store = await openMetadataStore(opts.db, { migrate: true });
        applied = store.migrated;
        await store.close();
      } catch (error) {
        process.stderr.write(`shardstore migrate: ${redactUrl((error as Error).message)}\n`);
        process.exit(1);
      }
      process.stdout.write(migrateReport(redactUrl(opts.db), applied));
    });
}

/** What `migrate` did, for the operator: each migration it applied, or that there was nothing to do. */
export function migrateReport(db: string, applied: readonly AppliedMigration[]): string {
  if (applied.length === 0) return `the schema of ${db} is up to date; no migration to apply\n`;
  const lines = applied.map((m) => `  ${m.version}  ${m.name}\n`).join('');
  const count = `${applied.length} migration${applied.length === 1 ? '' : 's'}`;
  return `applied ${count} to ${db}:\n${lines}the schema is now at version ${applied.at(-1)!.version}\n`;
}
