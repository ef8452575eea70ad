import { isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { ConfigInvalidError } from '../core/errors.js';
import { redactUrl } from '../metadata/schema-check.js';
import { sqliteFileOf } from '../metadata/open-store.js';
import { secretOption } from './secret-option.js';

interface InstallOptions {
  db?: string;
  gateway?: string;
  token?: string;
  tokenFile?: string;
  ca?: string;
  filesUnder: string[];
  check: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `shardstore sql-functions install`: the path store's SQL interface in PostgreSQL — import(), export() and
 * deduplicate() beside exist() and delete() — for roles granted shardstore_operator.
 */
export function addSqlFunctionsCommand(program: Command): void {
  const group = program.command('sql-functions').description("the path store's SQL functions in PostgreSQL: import, exist, export, delete, deduplicate");
  group
    .command('install')
    .description('install import(), export() and deduplicate() (PL/Python 3, through a gateway) and grant all five to the role shardstore_operator; run as a superuser, again to change the settings')
    .option('--db <url>', 'the metadata database, as a superuser: postgres://postgres@host/db (env SHARDSTORE_DB)', process.env.SHARDSTORE_DB)
    .option('--gateway <url>', 'the gateway the functions send bytes through, as the database host reaches it (env SHARDSTORE_GATEWAY)', process.env.SHARDSTORE_GATEWAY)
    .option('--token <token>', "the gateway's admin token (env SHARDSTORE_TOKEN)", process.env.SHARDSTORE_TOKEN)
    .option('--token-file <file>', "a file whose first line is the gateway's admin token")
    .option('--ca <file>', "PEM CA on the database host to check an https gateway's certificate against (default: the system's)")
    .option('--files-under <dir>', 'the functions read and write files below this directory of the database host only (repeatable; default: anywhere the server may)', collect, [])
    .option('--no-check', 'do not call the gateway from the database host before installing')
    .action(async (opts: InstallOptions) => {
      let token: string | undefined;
      try {
        token = secretOption(opts.token, opts.tokenFile, '--token');
        const problems = [
          ...(!opts.db || sqliteFileOf(opts.db) !== undefined ? ['--db: a postgres:// URL is required (the SQL functions live in PostgreSQL)'] : []),
          ...(!opts.gateway || !/^https?:\/\/[^/]/.test(opts.gateway) ? ['--gateway: an http:// or https:// URL of a gateway is required'] : []),
          ...(!token ? ['--token or --token-file: the gateway\'s admin token is required'] : []),
          ...(opts.ca !== undefined && !isAbsolute(opts.ca) ? [`--ca: ${opts.ca} must be an absolute path on the database host`] : []),
          ...opts.filesUnder.filter((d) => !isAbsolute(d)).map((d) => `--files-under: ${d} must be an absolute path on the database host`),
        ];
        if (problems.length > 0) throw new ConfigInvalidError(problems);
      } catch (error) {
        process.stderr.write(`shardstore sql-functions: ${(error as Error).message}\n`);
        process.exit(2);
      }
      try {
        const { installSqlFunctions, OPERATOR_ROLE } = await import('../metadata/postgres/sql-functions.js');
        const done = await installSqlFunctions(opts.db!, {
          gateway: opts.gateway!, token: token!, ...(opts.ca !== undefined ? { caFile: opts.ca } : {}), filesUnder: opts.filesUnder, check: opts.check,
        });
        process.stdout.write(
          `installed in ${redactUrl(opts.db!)} (schema ${done.schema}): ${done.functions.map((f) => `${f}()`).join(', ')}\n` +
            `bytes go through ${opts.gateway}${opts.filesUnder.length > 0 ? `; files below ${opts.filesUnder.join(', ')} only` : ''}\n` +
            `roles granted ${OPERATOR_ROLE}${done.roleCreated ? ' (a new role)' : ''} may call them: GRANT ${OPERATOR_ROLE} TO some_user;\n`,
        );
      } catch (error) {
        process.stderr.write(`shardstore sql-functions: ${redactUrl((error as Error).message)}\n`);
        process.exit(2);
      }
    });
}
