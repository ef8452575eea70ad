import { randomUUID } from 'node:crypto';
import type { Leases } from '../metadata/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

/**
 * Runs a worker every `intervalMs` in the one gateway that holds the worker's lease (a row in the
 * metadata store), so several gateways on one store do not repeat each other's work. `runNow` (the
 * admin endpoint) runs a pass at once in this gateway; passes never overlap within a gateway.
 */
export class PeriodicRunner<Summary> {
  private readonly holder = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Summary> | undefined;
  private stopped = false;
  private last: { startedAt: number; finishedAt: number; summary?: Summary; error?: string } | undefined;
  private runningSince: number | undefined;

  constructor(
    private readonly worker: Worker<Summary>,
    private readonly leases: Leases,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Told how every pass here ended (the metrics). */
    private readonly observe: (job: string, seconds: number, ok: boolean) => void = () => undefined,
  ) {}

  start(): void {
    this.schedule();
  }

  /**
   * One pass now (`task`: the worker run with other options); if a pass is already running here, its
   * result.
   */
  runNow(task: () => Promise<Summary> = () => this.worker.runOnce()): Promise<Summary> {
    if (!this.running) {
      const startedAt = Date.now();
      this.runningSince = startedAt;
      this.running = task().then(
        (summary) => {
          this.last = { startedAt, finishedAt: Date.now(), summary };
          this.observe(this.worker.name, (Date.now() - startedAt) / 1000, true);
          return summary;
        },
        (error: unknown) => {
          this.last = { startedAt, finishedAt: Date.now(), error: (error as Error).message };
          this.observe(this.worker.name, (Date.now() - startedAt) / 1000, false);
          throw error;
        },
      ).finally(() => {
        this.running = undefined;
        this.runningSince = undefined;
      });
    }
    return this.running;
  }

  /**
   * What the job is doing here: whether a pass runs (since when, and for long jobs its summary so far) and
   * how the last one ended.
   */
  status(): {
    job: string;
    running: boolean;
    runningSince: string | null;
    progress: Summary | null;
    last: { startedAt: string; finishedAt: string; summary?: Summary; error?: string } | null;
  } {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      job: this.worker.name,
      running: this.running !== undefined,
      runningSince: this.runningSince === undefined ? null : iso(this.runningSince),
      progress: this.running !== undefined ? (this.worker.progress?.() ?? null) : null,
      last: this.last ? { ...this.last, startedAt: iso(this.last.startedAt), finishedAt: iso(this.last.finishedAt) } : null,
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
      // The lease outlives one interval, so the holder keeps it from pass to pass.
      if (await this.leases.tryAcquire(this.worker.name, this.holder, this.intervalMs * 2 + 60_000, Date.now())) await this.runNow();
    } catch (error) {
      this.log.error({ err: error, job: this.worker.name }, 'background job failed');
    } finally {
      this.schedule();
    }
  }
}
