import type { Command } from 'commander';
import { openMetadataStore } from '../metadata/open-store.js';

export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the metadata schema (idempotent)')
    .option('--db <url>', 'metadata store: sqlite:FILE or postgres://…', process.env.SHARDSTORE_DB)
    .action(async (opts: { db?: string }) => {
      if (!opts.db) {
        process.stderr.write('shardstore migrate: --db is required (e.g. sqlite:./data/meta.db or postgres://user@host/db)\n');
        process.exit(2);
      }
      // Opening the store applies every pending migration inside its own transaction.
      const store = await openMetadataStore(opts.db);
      await store.close();
      process.stdout.write(`schema of ${opts.db} is up to date\n`);
    });
}
