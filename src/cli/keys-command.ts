import { newAccessKeyId, newSecretKey } from '../core/ids.js';
import type { Command } from 'commander';
import { openMetadataStore } from '../metadata/open-store.js';
import { redactUrl } from '../metadata/schema-check.js';
import type { MetadataStore } from '../domain/metadata-store.js';

async function withStore(db: string | undefined, work: (store: MetadataStore) => Promise<number | void>): Promise<void> {
  if (!db) {
    process.stderr.write('shardstore keys: --db is required (or SHARDSTORE_DB)\n');
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
    process.stderr.write(`shardstore keys: ${redactUrl((error as Error).message)}\n`);
    code = 2;
  }
  process.exit(code);
}

/** `shardstore keys create|list|delete`: S3 access keys, kept in the metadata store. */
export function addKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage S3 access keys (in the metadata store)');
  const db = (c: Command) => c.option('--db <url>', 'metadata store: sqlite:FILE or postgres://…', process.env.SHARDSTORE_DB);
  db(keys.command('create'))
    .description('create an access key; prints it with its secret (shown only now)')
    .option('--name <name>', 'what the key is for', '')
    .option('--json', 'print {"accessKey","secretKey","name"}')
    .action((opts: { db?: string; name: string; json?: boolean }) =>
      withStore(opts.db, async (store) => {
        const key = { accessKey: newAccessKeyId(), secretKey: newSecretKey(), name: opts.name, createdAt: Date.now() };
        await store.accessKeys.create(key);
        process.stdout.write(opts.json
          ? `${JSON.stringify({ accessKey: key.accessKey, secretKey: key.secretKey, name: key.name })}\n`
          : `access key  ${key.accessKey}\nsecret key  ${key.secretKey}\n`);
      }),
    );
  db(keys.command('list'))
    .description('list the access keys (not their secrets)')
    .option('--json', 'print a JSON array')
    .action((opts: { db?: string; json?: boolean }) =>
      withStore(opts.db, async (store) => {
        const list = (await store.accessKeys.list()).map((k) => ({ accessKey: k.accessKey, name: k.name, created: new Date(k.createdAt).toISOString() }));
        process.stdout.write(opts.json ? `${JSON.stringify(list)}\n` : list.map((k) => `${k.accessKey}  ${k.created}  ${k.name}\n`).join(''));
      }),
    );
  db(keys.command('delete').argument('<access-key>'))
    .description('delete an access key (exit 1 if there is none)')
    .action((accessKey: string, opts: { db?: string }) =>
      withStore(opts.db, async (store) => {
        if (await store.accessKeys.remove(accessKey)) {
          process.stdout.write(`${accessKey}: deleted\n`);
          return 0;
        }
        process.stderr.write(`shardstore keys: no access key ${accessKey}\n`);
        return 1;
      }),
    );
}
