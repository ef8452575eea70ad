import pg from 'pg';
import { PYTHON_BODIES } from './sql-functions-python.js';
import { POSTGRES_SCHEMA_VERSION } from './postgres-migrations.js';
import { postgresSchemaVersion } from './postgres-migrator.js';
import { requireSchema } from '../schema-check.js';

/** The role a database user is granted to call the path store's SQL functions. */
export const OPERATOR_ROLE = 'shardstore_operator';

/** Where the SQL functions that move bytes send them, and which files they may touch. */
export interface SqlFunctionSettings {
  /** A gateway's base URL (http or https). */
  readonly gateway: string;
  /** The gateway's admin token (deduplicate() needs it; import and export send it too). */
  readonly token: string;
  /** A PEM CA file on the database host to check an https gateway against; the system's CAs otherwise. */
  readonly caFile?: string;
  /** Absolute directories on the database host; when given, import and export touch files below them only. */
  readonly filesUnder: readonly string[];
  /** Call the gateway from the database host before committing (default), so a wrong URL or token fails now. */
  readonly check?: boolean;
}

/** What `installSqlFunctions` did, for the operator. */
export interface SqlFunctionsInstalled {
  readonly schema: string;
  readonly functions: readonly string[];
  readonly roleCreated: boolean;
}

/** Why the functions could not be installed, in words for the operator. */
export class SqlFunctionsInstallError extends Error {}

const DEDUPE_OUT = 'OUT groups bigint, OUT objects_shared bigint, OUT shards_freed bigint, OUT bytes_freed bigint, OUT duration_ms bigint';

/** The Python body as shardstore_NAME: called by the wrapper below only, so granted to no one. */
const inPython = (signature: string, body: string, schema: string) => `
  CREATE OR REPLACE FUNCTION shardstore_${signature} LANGUAGE plpython3u VOLATILE STRICT SECURITY DEFINER
    SET search_path = ${schema}, pg_temp AS $py$${body}$py$;`;

/**
 * The function a user calls: it runs the Python one and raises its failure again as a plain SQL error — the
 * same SQLSTATE, message, detail and hint, without PL/Python's "plpy.Error:" prefix and traceback.
 */
const inPlpgsql = (signature: string, call: string, schema: string) => `
  CREATE OR REPLACE FUNCTION ${signature} LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = ${schema}, pg_temp AS $fn$
  DECLARE
    failure_message text; failure_state text; failure_detail text; failure_hint text;
  BEGIN
    ${call};
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS failure_message = MESSAGE_TEXT, failure_state = RETURNED_SQLSTATE,
      failure_detail = PG_EXCEPTION_DETAIL, failure_hint = PG_EXCEPTION_HINT;
    failure_message := regexp_replace(failure_message, '^plpy\\.Error: ', '');
    -- RAISE takes no empty option: each present part is passed, and only those.
    IF failure_detail <> '' AND failure_hint <> '' THEN
      RAISE EXCEPTION USING MESSAGE = failure_message, ERRCODE = failure_state, DETAIL = failure_detail, HINT = failure_hint;
    ELSIF failure_detail <> '' THEN
      RAISE EXCEPTION USING MESSAGE = failure_message, ERRCODE = failure_state, DETAIL = failure_detail;
    ELSIF failure_hint <> '' THEN
      RAISE EXCEPTION USING MESSAGE = failure_message, ERRCODE = failure_state, HINT = failure_hint;
    END IF;
    RAISE EXCEPTION USING MESSAGE = failure_message, ERRCODE = failure_state;
  END
  $fn$;`;

const FUNCTIONS = ['import(text, text)', 'export(text, text)', 'deduplicate()', 'exist(text)', 'delete(text)'] as const;

/**
 * Installs import(), export() and deduplicate() in PL/Python 3 next to the exist() and delete() the migrations
 * made, keeps the gateway's address and token in the owner-only table `shardstore_gateway`, and lets the role
 * shardstore_operator (made if missing) call all five. Needs a superuser: PL/Python 3 is an untrusted language.
 * Idempotent: a second install replaces the settings and the functions. One transaction: all or nothing.
 */
export async function installSqlFunctions(url: string, settings: SqlFunctionSettings): Promise<SqlFunctionsInstalled> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ superuser: boolean; schema: string }>(
      `SELECT rolsuper AS superuser, current_schema() AS schema FROM pg_roles WHERE rolname = current_user`,
    );
    if (!rows[0]?.superuser) {
      throw new SqlFunctionsInstallError('connect as a superuser (e.g. postgres): PL/Python 3 is an untrusted language, only superusers may create its functions');
    }
    requireSchema(await postgresSchemaVersion(client), POSTGRES_SCHEMA_VERSION, url);
    const schema = client.escapeIdentifier(rows[0].schema);
    await client.query('BEGIN');
    try {
      const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'plpython3u'`);
      if (available.rowCount === 0) {
        throw new SqlFunctionsInstallError("the server has no PL/Python 3: install Debian's postgresql-plpython3-NN package (NN: the server's major version) on the database host");
      }
      await client.query('CREATE EXTENSION IF NOT EXISTS plpython3u');
      await client.query(`
        CREATE TABLE IF NOT EXISTS shardstore_gateway (
          one boolean PRIMARY KEY DEFAULT true CHECK (one),
          url text NOT NULL,
          token text NOT NULL,
          ca_file text,
          files_under text[] NOT NULL DEFAULT '{}'
        );
        -- The admin token: read by the functions, which run as their owner, and by nobody else.
        REVOKE ALL ON shardstore_gateway FROM PUBLIC;
      `);
      await client.query(
        `INSERT INTO shardstore_gateway (url, token, ca_file, files_under) VALUES ($1, $2, $3, $4)
         ON CONFLICT (one) DO UPDATE SET url = excluded.url, token = excluded.token, ca_file = excluded.ca_file, files_under = excluded.files_under`,
        [settings.gateway.replace(/\/+$/, ''), settings.token, settings.caFile ?? null, settings.filesUnder],
      );
      await client.query(`
        ${inPython('import(key text, path text, OUT size bigint, OUT sha256 text)', PYTHON_BODIES.import, schema)}
        ${inPlpgsql('import(key text, path text, OUT size bigint, OUT sha256 text)', 'SELECT * INTO size, sha256 FROM shardstore_import(key, path)', schema)}
        COMMENT ON FUNCTION import(text, text) IS 'Stores the file PATH of the database host at the path-API KEY, through the gateway; returns its size and SHA-256.';
        ${inPython('export(key text, path text, OUT written bigint)', PYTHON_BODIES.export, schema)}
        ${inPlpgsql('export(key text, path text, OUT written bigint)', 'written := shardstore_export(key, path)', schema)}
        COMMENT ON FUNCTION export(text, text) IS 'Writes the object at the path-API KEY to the new file PATH of the database host; returns the bytes written.';
        ${inPython(`deduplicate(${DEDUPE_OUT})`, PYTHON_BODIES.deduplicate, schema)}
        ${inPlpgsql(`deduplicate(${DEDUPE_OUT})`, 'SELECT * INTO groups, objects_shared, shards_freed, bytes_freed, duration_ms FROM shardstore_deduplicate()', schema)}
        COMMENT ON FUNCTION deduplicate() IS 'One deduplication pass now: objects with the same content share one set of shards; the cleaner frees the rest.';
        REVOKE EXECUTE ON FUNCTION shardstore_import(text, text), shardstore_export(text, text), shardstore_deduplicate() FROM PUBLIC;
      `);
      if (settings.check !== false) {
        await client.query(`DO LANGUAGE plpython3u $py$${PYTHON_BODIES.check}$py$`).catch((error: Error) => {
          // PL/Python's error: its message, without the prefix, is the gateway's answer or why it was not reached.
          throw new SqlFunctionsInstallError(error.message.replace(/^plpy\.Error: /, ''));
        });
      }
      const role = client.escapeIdentifier(OPERATOR_ROLE);
      const made = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [OPERATOR_ROLE]);
      if (made.rowCount === 0) await client.query(`CREATE ROLE ${role} NOLOGIN`);
      const list = FUNCTIONS.join(', ');
      await client.query(`
        REVOKE EXECUTE ON FUNCTION ${list} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION ${list} TO ${role};
        GRANT USAGE ON SCHEMA ${schema} TO ${role};
      `);
      await client.query('COMMIT');
      return { schema: rows[0].schema, functions: FUNCTIONS.map((f) => f.replace(/\(.*/, '')), roleCreated: made.rowCount === 0 };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    await client.end();
  }
}
