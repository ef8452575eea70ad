import { ShardstoreError } from '../core/errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { DirectoryInUseError } from '../platform/dir-lock.js';
import { CONFIG_INVALID_EXIT, DIRECTORY_IN_USE_EXIT } from '../processes/exit-codes.js';

/**
 * Starts a long-running process (gateway, node, cluster): reports a bad configuration as one clear
 * message and exit code 2, and closes cleanly on SIGINT/SIGTERM.
 */
export async function runProcess(
  name: string,
  start: (log: Logger) => Promise<{ close(): Promise<void> }>,
  log: Logger = createLogger(name),
): Promise<void> {
  // Everything these processes create — the SQLite file and its WAL (S3 secret keys), logs, node directories
  // and shard files, cluster.json — is for the service's user alone.
  process.umask(0o077);
  let running: { close(): Promise<void> };
  try {
    running = await start(log);
  } catch (error) {
    if (error instanceof ShardstoreError && (error.code === 'CONFIG_INVALID' || error.code === 'SCHEMA_TOO_OLD')) {
      process.stderr.write(`shardstore ${name}: ${error.message}\n`);
      process.exit(CONFIG_INVALID_EXIT);
    }
    if (error instanceof DirectoryInUseError) {
      log.error({ dir: error.dir, holder: error.pid }, 'directory in use');
      process.stderr.write(`shardstore ${name}: ${error.message}\n`);
      process.exit(DIRECTORY_IN_USE_EXIT);
    }
    log.fatal({ err: error }, `${name} failed to start`);
    process.stderr.write(`shardstore ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, `${name} stopping`);
    // A stop that does not finish in 5 s is not a clean stop: say so, and exit non-zero.
    const force = setTimeout(() => {
      log.error({ signal }, `${name} did not stop within 5 s; exiting anyway`);
      process.exit(1);
    }, 5000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
