import type { AuditLog } from '../domain/metadata-store.js';
import { MetadataUnavailableError } from '../core/errors.js';
import type { AuditEntry } from '../domain/records.js';
import type { Logger } from '../observability/logger.js';

/**
 * Collects action-log entries and writes them in one transaction every `flushMs`: a synchronous,
 * fsynced insert per download would cost more than the download of a small file. A crash loses at
 * most the last `flushMs` of log, never an object.
 */
/** Entries held back while the metadata store is unreachable, at most (then they are dropped, and logged). */
const MAX_HELD = 50_000;
const RETRY_MS = 1000;

export class AuditRecorder {
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
    private readonly flushMs = 200,
  ) {}

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is pending now; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing
      .then(() => this.log.append(batch))
      .catch((error: unknown) => {
        if (error instanceof MetadataUnavailableError && this.pending.length + batch.length <= MAX_HELD) {
          // The store is away for a moment (its outage is logged once, where it is noticed): the entries wait
          // for it, in order, and go with the next flush.
          this.pending = [...batch, ...this.pending];
          this.timer ??= setTimeout(() => void this.flush(), RETRY_MS);
          return;
        }
        this.logger.error({ err: error, entries: batch.length }, 'could not write the action log; these entries are lost');
      });
    return this.flushing;
  }
}
