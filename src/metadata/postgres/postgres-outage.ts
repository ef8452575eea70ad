import type pg from 'pg';

/** Socket-level failures: the server is down, restarting, or the network between is. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATEs of a server that is going away or not yet back (PostgreSQL appendix A): class 08 connection
 * exceptions, admin/crash shutdown, "the database system is starting up / shutting down", too many clients.
 */
const OUTAGE_STATES = /^(08...|57P01|57P02|57P03|53300)$/;
/**
 * What node-postgres says when the socket closes under a client, a connect times out, or a statement gets no
 * answer within the pool's `query_timeout`.
 */
const OUTAGE_MESSAGES = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|Query read timeout/i;

export function isPostgresOutage(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || OUTAGE_STATES.test(e.code))) return true;
  return typeof e.message === 'string' && OUTAGE_MESSAGES.test(e.message);
}

/** How long a read keeps trying through an outage before the caller gets its 503. */
const RETRY_FOR_MS = 1500;
const RETRY_EVERY_MS = 150;

/**
 * The pool's `query`, made to ride out a short outage: a statement that fails because the server is
 * unreachable is tried again (every 150 ms, for 1.5 s) when that is safe — a read, which changes nothing.
 * A write may have been applied before the connection broke, so it is never repeated here: its caller gets
 * the error (a 503) and decides. Patched on the instance because every query of the store goes through it.
 */
export function retryReadsThroughOutages(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  const patched = async (...args: unknown[]): Promise<unknown> => {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
    const read = /^\s*(SELECT|WITH\s[^;]*\)\s*SELECT)\b/i.test(text) && !/\bFOR\s+UPDATE\b/i.test(text);
    const deadline = Date.now() + RETRY_FOR_MS;
    for (;;) {
      try {
        return await query(...args);
      } catch (error) {
        if (!read || !isPostgresOutage(error) || Date.now() >= deadline) throw error;
        await new Promise((r) => setTimeout(r, RETRY_EVERY_MS));
      }
    }
  };
  // `any` is not used: the patched function has the overloads' common shape, which TypeScript cannot name.
  pool.query = patched as unknown as typeof pool.query;
}
