import { randomUUID } from 'node:crypto';
import { JobBusyError } from '../core/errors.js';
import type { Fence, Leases } from '../domain/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

/**
 * A pass holds its job's pass lease for this long, and renews it at a third of that while it runs: a gateway
 * that dies mid-pass blocks the job elsewhere for at most this long.
 */
const PASS_LEASE_MS = 15_000;
/** The passes a job's status keeps, newest last. */
const HISTORY = 20;

export interface PassRecord {
  startedAt: number;
  finishedAt: number;
  /** This runner (one per gateway process and job). */
  holder: string;
  summary?: unknown;
  error?: string;
}

/**
 * Runs a worker every `intervalMs` in the one gateway that holds the worker's lease (a row in the
 * metadata store), so several gateways on one store do not repeat each other's work. `runNow` (the
 * admin endpoint) runs a pass at once in this gateway.
 *
 * Passes of one job never overlap, across gateways too: every pass, periodic or asked for, first takes
 * the job's pass lease (`<job>:pass`), renews it every 5 s while it runs (a rebalance may run minutes),
 * and releases it when done. A pass asked for while another gateway's runs is refused (JobBusyError, 409,
 * naming the holder); within one gateway the second caller gets the running pass.
 */
export class PeriodicRunner<Summary> {
  private readonly holder = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Summary> | undefined;
  private stopped = false;
  private readonly history: PassRecord[] = [];
  private runningSince: number | undefined;

  constructor(
    private readonly worker: Worker<Summary>,
    private readonly leases: Leases,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Told how every pass here ended (the metrics). */
    private readonly observe: (job: string, seconds: number, ok: boolean) => void = () => undefined,
    /** A periodic pass, given the pass's fence (jobs that commit shard switches check it). */
    private readonly periodic: (fence: Fence) => Promise<Summary> = () => worker.runOnce(),
  ) {}

  start(): void {
    this.schedule();
  }

  /**
   * Starts a pass now (`task`: the worker run with other options) once the pass lease is taken, and returns
   * the running pass; if a pass is already running here, that one. Rejects with JobBusyError at once when
   * another gateway's pass holds the lease, so a caller can answer 409 before it answers 202.
   */
  async begin(task: (fence: Fence) => Promise<Summary> = this.periodic): Promise<{ pass: Promise<Summary> }> {
    // (Wrapped in an object: a promise returned from an async function would be waited for, not handed back.)
    if (this.running) return { pass: this.running };
    const lease = `${this.worker.name}:pass`;
    if (!(await this.leases.tryAcquire(lease, this.holder, PASS_LEASE_MS, Date.now()))) {
      const other = await this.leases.holderOf(lease, Date.now());
      // Released between the two calls: the caller may simply ask again.
      throw new JobBusyError(this.worker.name, other?.holder ?? 'another gateway', other?.expiresAt ?? Date.now());
    }
    // Two callers here may both have taken (renewed) this runner's lease: the first one's pass is the pass.
    if (this.running) return { pass: this.running };
    const startedAt = Date.now();
    this.runningSince = startedAt;
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(() => {
      renewing = this.leases.tryAcquire(lease, this.holder, PASS_LEASE_MS, Date.now()).then(
        (held) => held || this.log.error({ job: this.worker.name }, 'the pass lease was taken over while the pass ran'),
        (error: unknown) => this.log.warn({ job: this.worker.name, err: error }, 'could not renew the pass lease'),
      );
    }, PASS_LEASE_MS / 3);
    const record = (outcome: { summary?: Summary; error?: string }) => {
      this.history.push({ startedAt, finishedAt: Date.now(), holder: this.holder, ...outcome });
      if (this.history.length > HISTORY) this.history.shift();
      this.observe(this.worker.name, (Date.now() - startedAt) / 1000, outcome.error === undefined);
    };
    this.running = task({ lease, holder: this.holder })
      .then(
        (summary) => {
          record({ summary });
          return summary;
        },
        (error: unknown) => {
          record({ error: (error as Error).message });
          throw error;
        },
      )
      .finally(async () => {
        clearInterval(renew);
        await renewing;
        // Released before this runner counts as idle: a pass begun here right after must not have its fresh
        // lease deleted by this release arriving late.
        await this.leases.release(lease, this.holder).catch(() => undefined);
        this.running = undefined;
        this.runningSince = undefined;
      });
    return { pass: this.running };
  }

  /** One pass now, to its end (see begin). */
  async runNow(task?: (fence: Fence) => Promise<Summary>): Promise<Summary> {
    return (await this.begin(task)).pass;
  }

  /**
   * What the job is doing here: whether a pass runs (since when, and for long jobs its summary so far), how
   * the last one ended, and the recent passes of this gateway (`holder` tells gateways apart).
   */
  status(): {
    job: string;
    holder: string;
    running: boolean;
    runningSince: string | null;
    progress: Summary | null;
    last: { startedAt: string; finishedAt: string; summary?: unknown; error?: string } | null;
    history: { startedAt: string; finishedAt: string; holder: string; error?: string }[];
  } {
    const iso = (ms: number) => new Date(ms).toISOString();
    const last = this.history.at(-1);
    return {
      job: this.worker.name,
      holder: this.holder,
      running: this.running !== undefined,
      runningSince: this.runningSince === undefined ? null : iso(this.runningSince),
      progress: this.running !== undefined ? (this.worker.progress?.() ?? null) : null,
      last: last ? { startedAt: iso(last.startedAt), finishedAt: iso(last.finishedAt), ...(last.error === undefined ? { summary: last.summary } : { error: last.error }) } : null,
      history: this.history.map((p) => ({ startedAt: iso(p.startedAt), finishedAt: iso(p.finishedAt), holder: p.holder, ...(p.error === undefined ? {} : { error: p.error }) })),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.leases.release(this.worker.name, this.holder).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      // The job's lease outlives one interval, so its holder keeps running it from pass to pass; the pass
      // lease inside keeps an operator's pass elsewhere from overlapping.
      if (await this.leases.tryAcquire(this.worker.name, this.holder, this.intervalMs * 2 + 60_000, Date.now())) await this.runNow();
    } catch (error) {
      if (error instanceof JobBusyError) this.log.info({ job: this.worker.name }, 'periodic pass skipped: a pass runs in another gateway');
      else this.log.error({ err: error, job: this.worker.name }, 'background job failed');
    } finally {
      this.schedule();
    }
  }
}
