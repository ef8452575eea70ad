/**
 * SQLite result codes that say the file cannot be used for the moment, not that the statement is wrong: another
 * process holds a lock past the busy timeout, the disk is full, or the file system fails under it.
 */
const OUTAGE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|PROTOCOL)/;

export function isSqliteOutage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && OUTAGE_CODES.test(code);
}
