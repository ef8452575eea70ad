import type Database from 'better-sqlite3';

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for the SQLite store. The connection runs with `synchronous = NORMAL` (WAL appends are not
 * fsynced), which is enough for rows a crash may lose: upload intents, heartbeats, the action log, leases
 * (a lost intent leaves orphans the cleaner finds; the rest is refreshed or re-done). Writes that a client
 * is told about (a committed object, a deletion, a multipart part) go through `durably`: the ones queued in
 * one event-loop turn run in a single transaction, each in a savepoint of its own (one failing leaves the
 * others), committed with `synchronous = FULL` — one WAL fsync for the whole batch, which also makes every
 * earlier NORMAL write durable. Each caller's promise settles only after that fsync.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Batches committed and writes in them, for tests and metrics. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(private readonly db: Database.Database) {
    db.pragma('synchronous = NORMAL');
  }

  durably<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    this.db.pragma('synchronous = FULL');
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              // A transaction function called inside a transaction is a savepoint in better-sqlite3.
              outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The batch's commit itself failed (disk full, I/O error): none of its writes happened.
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
    this.stats.batches += 1;
    this.stats.writes += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
