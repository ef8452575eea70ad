import type { Command } from 'commander';
import { openMetadataStore } from '../metadata/open-store.js';
import { redactUrl } from '../metadata/schema-check.js';

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
      try {
        // Opening with migrate applies every pending migration, each in its own transaction.
        const store = await openMetadataStore(opts.db, { migrate: true });
        await store.close();
      } catch (error) {
        process.stderr.write(`shardstore migrate: ${redactUrl((error as Error).message)}\n`);
        process.exit(1);
      }
      process.stdout.write(`the schema of ${redactUrl(opts.db)} is up to date\n`);
    });
}
