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

  constructor(
    private readonly worker: Worker<Summary>,
    private readonly leases: Leases,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  /** One pass now; if a pass is already running here, its result. */
  runNow(): Promise<Summary> {
    this.running ??= this.worker.runOnce().finally(() => (this.running = undefined));
    return this.running;
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
