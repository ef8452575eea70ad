import { Worker } from 'node:worker_threads';
import { ContentDigest, type BodyDigest, type Digests } from './content-digest.js';
import type { DigestSource } from './digest-source.js';
import type { FromDigestThread, ToDigestThread } from './digest-messages.js';

export interface DigestWorkerOptions {
  /** Bodies known to be smaller are hashed on the calling thread: a round trip would cost more. */
  readonly minBytes?: number;
  /** The shared buffers bodies are copied into for the worker. */
  readonly slabBytes?: number;
  /** Slabs one body may have waiting in the worker before its reader must wait: its memory bound. */
  readonly slabsPerBody?: number;
  /** Spare slabs kept for the next bodies. */
  readonly maxIdleSlabs?: number;
  /** With no body for this long, the thread and the spare slabs are let go; the next body starts them again. */
  readonly idleMs?: number;
}

/**
 * SHA-256 and MD5 of upload bodies on a worker thread (SPEC §9: MD5 is the slowest step of a write; keep it
 * off the critical path). A body's chunks are copied into slabs of shared memory (one `memcpy`, an order of
 * magnitude cheaper than the hashes) that the worker hashes and hands back; a body with all its slabs in the
 * worker makes its reader wait, so memory stays bounded and a slow worker slows the upload instead of
 * queueing it. One worker per process: the machine this was measured on has two cores, and the stripe path
 * keeps the other busy.
 */
export class DigestWorker implements DigestSource {
  private worker: Worker | undefined;
  private nextJob = 1;
  private readonly bodies = new Map<number, WorkerDigest>();
  private readonly idle: SharedArrayBuffer[] = [];
  readonly minBytes: number;
  readonly slabBytes: number;
  readonly slabsPerBody: number;
  private readonly maxIdleSlabs: number;
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: DigestWorkerOptions = {}) {
    this.minBytes = options.minBytes ?? 1 << 20;
    this.slabBytes = options.slabBytes ?? 512 << 10;
    this.slabsPerBody = options.slabsPerBody ?? 4;
    this.maxIdleSlabs = options.maxIdleSlabs ?? 8;
    this.idleMs = options.idleMs ?? 10_000;
  }

  /** Whether the thread is running (it starts with the first large body and stops when idle). */
  get threadRunning(): boolean {
    return this.worker !== undefined;
  }

  /** A digest for a body of `expectedBytes` (undefined: unknown, could be large). */
  start(expectedBytes?: number): BodyDigest {
    if (expectedBytes !== undefined && expectedBytes < this.minBytes) return new ContentDigest();
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const job = this.nextJob++;
    const body = new WorkerDigest(this, job);
    this.bodies.set(job, body);
    return body;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  /** @internal */ post(message: ToDigestThread): void {
    this.thread().postMessage(message);
  }

  /** @internal */ takeSlab(): SharedArrayBuffer {
    return this.idle.pop() ?? new SharedArrayBuffer(this.slabBytes);
  }

  /** @internal */ forget(job: number): void {
    this.bodies.delete(job);
    this.retireWhenIdle();
  }

  /**
   * A thread is a V8 isolate of its own, several MiB resident, and the spare slabs 4 MiB more: a gateway
   * that serves downloads for a while after its last upload should not carry them (its RSS budget is
   * 150 MiB through a 10 GiB round trip).
   */
  private retireWhenIdle(): void {
    if (this.bodies.size > 0 || !this.worker || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.bodies.size > 0) return;
      this.idle.length = 0;
      void this.close();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./digest-thread.js', import.meta.url));
    // An idle worker must not keep the process alive; the bodies it is hashing keep their uploads open.
    worker.unref();
    worker.on('message', (message: FromDigestThread) => {
      const body = this.bodies.get(message.job);
      if (message.type === 'free') {
        if (this.idle.length < this.maxIdleSlabs) this.idle.push(message.slab);
        body?.slabReturned();
      } else {
        this.forget(message.job);
        body?.finished(message.sha256, message.md5);
      }
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const body of this.bodies.values()) body.failed(error);
      this.bodies.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the digest worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** One body's digest computed by the worker. */
class WorkerDigest implements BodyDigest {
  bytes = 0;
  private slab: Uint8Array | undefined;
  private filled = 0;
  private inWorker = 0;
  private wake: (() => void) | undefined;
  private error: Error | undefined;
  private done: { resolve(d: Digests): void; reject(e: Error): void } | undefined;
  private ended = false;

  constructor(
    private readonly owner: DigestWorker,
    private readonly job: number,
  ) {}

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) throw this.error;
    if (this.ended) throw new Error('digest already taken');
    this.bytes += chunk.length;
    return this.copy(chunk, 0);
  }

  digest(): Promise<Digests> {
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.reject(new Error('digest already taken'));
    this.ended = true;
    return new Promise<Digests>((resolve, reject) => {
      this.done = { resolve, reject };
      if (this.slab && this.filled > 0) this.send();
      this.owner.post({ type: 'end', job: this.job });
    });
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.owner.forget(this.job);
    this.failed(new Error('the body was abandoned'));
    // The slabs still in the worker come back to the pool all the same.
    this.owner.post({ type: 'drop', job: this.job });
  }

  slabReturned(): void {
    this.inWorker -= 1;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  finished(sha256: string, md5: string): void {
    this.done?.resolve({ sha256, md5, bytes: this.bytes });
  }

  failed(error: Error): void {
    this.error = error;
    this.done?.reject(error);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private copy(chunk: Uint8Array, from: number): Promise<void> | undefined {
    let offset = from;
    while (offset < chunk.length) {
      if (!this.slab) {
        if (this.inWorker >= this.owner.slabsPerBody) return this.slabBack().then(() => this.copy(chunk, offset));
        this.slab = new Uint8Array(this.owner.takeSlab());
        this.filled = 0;
      }
      const n = Math.min(this.slab.length - this.filled, chunk.length - offset);
      this.slab.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.slab.length) this.send();
    }
    return undefined;
  }

  private slabBack(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.wake = () => (this.error ? reject(this.error) : resolve());
    });
  }

  private send(): void {
    const slab = this.slab!;
    this.slab = undefined;
    this.inWorker += 1;
    this.owner.post({ type: 'data', job: this.job, slab: slab.buffer as SharedArrayBuffer, length: this.filled });
  }
}
