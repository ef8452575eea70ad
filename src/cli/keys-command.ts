import type { Command } from 'commander';
import { newAccessKey } from '../core/ids.js';
import { BUCKET_ACCESS, type BucketAccess } from '../domain/records.js';
import type { MetadataStore } from '../domain/metadata-store.js';
import { dbOption, withStore } from './store-command.js';

const keys = (store: MetadataStore) => store.accessKeys;

/** `shardstore keys create|list|delete|allow|deny`: S3 access keys and their rights, kept in the metadata store. */
export function addKeysCommand(program: Command): void {
  const group = program.command('keys').description('manage S3 access keys and their rights on buckets (in the metadata store)');
  const run = (work: (store: MetadataStore) => Promise<number | void>) => (db: string | undefined) => withStore('keys', db, work);
  dbOption(group.command('create').argument('[name]', 'what the key is for'))
    .description('create an access key; prints it with its secret (shown only now). It may use only buckets it is allowed on, or creates')
    .option('--name <name>', 'what the key is for (as the argument)')
    .option('--admin', 'an administrator key: every bucket, every operation')
    .option('--json', 'print {"accessKey","secretKey","name","admin"}')
    .action((name: string | undefined, opts: { db?: string; name?: string; admin?: boolean; json?: boolean }) =>
      run(async (store) => {
        const key = newAccessKey(name ?? opts.name ?? '', opts.admin === true);
        await keys(store).create(key);
        process.stdout.write(opts.json
          ? `${JSON.stringify({ accessKey: key.accessKey, secretKey: key.secretKey, name: key.name, admin: key.admin })}\n`
          : `access key  ${key.accessKey}\nsecret key  ${key.secretKey}\n`);
      })(opts.db),
    );
  dbOption(group.command('list'))
    .description('list the access keys with their rights (not their secrets)')
    .option('--json', 'print a JSON array')
    .action((opts: { db?: string; json?: boolean }) =>
      run(async (store) => {
        const grants = await keys(store).grants();
        const list = (await keys(store).list()).map((k) => ({
          accessKey: k.accessKey, name: k.name, created: new Date(k.createdAt).toISOString(), admin: k.admin,
          buckets: Object.fromEntries(grants.filter((g) => g.accessKey === k.accessKey).map((g) => [g.bucket, g.access])),
        }));
        const rights = (k: (typeof list)[number]) => (k.admin ? 'admin' : Object.entries(k.buckets).map(([b, a]) => `${b}:${a}`).join(',') || '-');
        process.stdout.write(opts.json ? `${JSON.stringify(list)}\n` : list.map((k) => `${k.accessKey}  ${k.created}  ${rights(k)}  ${k.name}\n`).join(''));
      })(opts.db),
    );
  dbOption(group.command('delete').argument('<access-key>'))
    .description('delete an access key and its rights (exit 1 if there is none)')
    .action((accessKey: string, opts: { db?: string }) =>
      run(async (store) => {
        if (await keys(store).remove(accessKey)) {
          process.stdout.write(`${accessKey}: deleted\n`);
          return 0;
        }
        process.stderr.write(`shardstore keys: no access key ${accessKey}\n`);
        return 1;
      })(opts.db),
    );
  dbOption(group.command('allow').argument('<access-key>').argument('<bucket>').argument('<access>', BUCKET_ACCESS.join('|')))
    .description('let a key read a bucket, also write (put, delete) in it, or own it (also its settings and deletion)')
    .action((accessKey: string, bucket: string, access: string, opts: { db?: string }) =>
      run(async (store) => {
        if (!(BUCKET_ACCESS as readonly string[]).includes(access)) {
          process.stderr.write(`shardstore keys: access must be one of ${BUCKET_ACCESS.join(', ')}, not '${access}'\n`);
          return 2;
        }
        return grant(store, accessKey, bucket, access as BucketAccess);
      })(opts.db),
    );
  dbOption(group.command('deny').argument('<access-key>').argument('<bucket>'))
    .description('take away a key\'s access to a bucket')
    .action((accessKey: string, bucket: string, opts: { db?: string }) => run((store) => grant(store, accessKey, bucket, null))(opts.db));
}

async function grant(store: MetadataStore, accessKey: string, bucket: string, access: BucketAccess | null): Promise<number> {
  if (!(await store.accessKeys.grant(accessKey, bucket, access))) {
    process.stderr.write(`shardstore keys: no access key ${accessKey}\n`);
    return 1;
  }
  process.stdout.write(`${accessKey}: ${access ?? 'no access'} on ${bucket}\n`);
  return 0;
}
