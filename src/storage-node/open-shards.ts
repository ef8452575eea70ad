import type { ReadOnlyFile } from './read-only-file.js';

/** A use of a cached shard file (shard files never change once written): `release` once done with it. */
export interface HeldShard {
  readonly file: ReadOnlyFile;
  release(): Promise<void>;
}

interface Slot {
  readonly opening: Promise<ReadOnlyFile>;
  opened?: ReadOnlyFile;
  users: number;
  idleSince: number;
  /** Taken out of the cache: the file is closed once its last user is done. */
  dropped: boolean;
  closed: boolean;
}

/** Files kept open at most; beyond it, the longest idle are closed first. */
const MAX_OPEN = 128;
/** A file nobody read for this long is closed. */
const IDLE_MS = 2_000;

/**
 * Shard files kept open between reads. Every framed read of a shard (a rebuild's one-frame source, a GET's
 * first stripe) used to open, stat and close its file: three trips through the thread pool and a FileHandle
 * for the collector, ~20 % of the nodes' CPU while they rebuilt the shards of 1 MiB objects (a `--cpu-prof`
 * of `bench:repair`, docs/BENCHMARKS.md). A file is closed when it was idle for IDLE_MS, when more than
 * MAX_OPEN are open, and when its shard is deleted (a reader still using it finishes first, as it always
 * could). A shard file removed behind the node's back (a failing disk, an operator) stays readable for at most
 * IDLE_MS after its last read, which is what a reader that opened it just before would have seen anyway.
 */
export class OpenShards {
  private readonly slots = new Map<string, Slot>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly openFile: (shardId: string) => Promise<ReadOnlyFile>,
    private readonly maxOpen = MAX_OPEN,
    private readonly idleMs = IDLE_MS,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  async acquire(shardId: string): Promise<HeldShard> {
    let slot = this.slots.get(shardId);
    if (slot) {
      // Most recently used last: the map's order is the order of eviction.
      this.slots.delete(shardId);
      this.slots.set(shardId, slot);
    } else {
      slot = { opening: this.openFile(shardId), users: 0, idleSince: 0, dropped: false, closed: false };
      this.slots.set(shardId, slot);
      this.sweeper ??= setInterval(() => this.sweep(), Math.max(1, Math.floor(this.idleMs / 2))).unref();
    }
    slot.users += 1;
    let opened: ReadOnlyFile;
    try {
      opened = await slot.opening;
    } catch (error) {
      slot.users -= 1;
      if (this.slots.get(shardId) === slot) this.slots.delete(shardId);
      throw error;
    }
    if (!slot.opened) {
      slot.opened = opened;
      // Once open, so that an open that fails never costs another file its place.
      this.trim();
    }
    let released = false;
    return {
      file: opened,
      release: () => {
        if (released) return Promise.resolve();
        released = true;
        slot.users -= 1;
        slot.idleSince = Date.now();
        return slot.dropped ? this.closeIfUnused(slot) : Promise.resolve();
      },
    };
  }

  /** Takes the shard's file out of the cache (its shard is being deleted, or a read of it failed). */
  drop(shardId: string): Promise<void> {
    const slot = this.slots.get(shardId);
    if (!slot) return Promise.resolve();
    this.slots.delete(shardId);
    return this.retire(slot);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(slots.map((slot) => this.retire(slot)));
  }

  private retire(slot: Slot): Promise<void> {
    slot.dropped = true;
    return this.closeIfUnused(slot);
  }

  private async closeIfUnused(slot: Slot): Promise<void> {
    if (slot.users > 0 || slot.closed) return;
    slot.closed = true;
    const opened = slot.opened ?? (await slot.opening.catch(() => undefined));
    opened?.close();
  }

  /** Closes the longest idle files beyond MAX_OPEN (the ones in use stay). */
  private trim(): void {
    if (this.slots.size <= this.maxOpen) return;
    for (const [id, slot] of this.slots) {
      if (this.slots.size <= this.maxOpen) return;
      if (slot.users > 0 || !slot.opened) continue;
      this.slots.delete(id);
      void this.retire(slot);
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, slot] of this.slots) {
      if (slot.users > 0 || !slot.opened || slot.idleSince > cutoff) continue;
      this.slots.delete(id);
      void this.retire(slot);
    }
    if (this.slots.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
