import type { Command } from 'commander';
import { dbOption, withStore } from './store-command.js';

/** `shardstore buckets list|public-read`: S3 buckets' settings, kept in the metadata store. */
export function addBucketsCommand(program: Command): void {
  const group = program.command('buckets').description('S3 buckets and their settings (in the metadata store)');
  dbOption(group.command('list'))
    .description('list the buckets')
    .option('--json', 'print a JSON array')
    .action((opts: { db?: string; json?: boolean }) =>
      withStore('buckets', opts.db, async (store) => {
        const list = (await store.buckets.list()).map((b) => ({ name: b.name, created: new Date(b.createdAt).toISOString(), publicRead: b.publicRead === true }));
        process.stdout.write(opts.json ? `${JSON.stringify(list)}\n` : list.map((b) => `${b.name}  ${b.created}${b.publicRead ? '  public-read' : ''}\n`).join(''));
      }),
    );
  dbOption(group.command('public-read').argument('<bucket>').argument('<on|off>'))
    .description('let anyone read the bucket\'s objects without signing (GetObject, HeadObject), or stop it')
    .action((bucket: string, state: string, opts: { db?: string }) =>
      withStore('buckets', opts.db, async (store) => {
        if (state !== 'on' && state !== 'off') {
          process.stderr.write(`shardstore buckets: public-read takes on or off, not '${state}'\n`);
          return 2;
        }
        if (!(await store.buckets.setPublicRead(bucket, state === 'on'))) {
          process.stderr.write(`shardstore buckets: no bucket ${bucket}\n`);
          return 1;
        }
        process.stdout.write(`${bucket}: public-read ${state}\n`);
        return 0;
      }),
    );
}
