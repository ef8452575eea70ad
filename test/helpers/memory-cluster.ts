import { pino } from 'pino';
import { createErasureCoder, type ErasureCoder } from '../../src/core/erasure-coder.js';
import type { ByteRange } from '../../src/core/byte-range.js';
import type { ErasureScheme } from '../../src/core/erasure-scheme.js';
import type { MetadataStore } from '../../src/domain/metadata-store.js';
import { openSqliteStore } from '../../src/metadata/sqlite/sqlite-store.js';
import { AuditRecorder } from '../../src/objects/audit-recorder.js';
import type { Caller } from '../../src/objects/caller.js';
import type { ObjectServices } from '../../src/objects/object-services.js';
import { createUseCases, type UseCases } from '../../src/objects/use-cases.js';
import { MemoryNodePool } from '../../src/shard-stores/memory-node-pool.js';
import { BufferPool, SizedBufferPools } from '../../src/streams/buffer-pool.js';
import { DigestWorker } from '../../src/streams/digest-worker.js';

/** A clock the test moves by hand: jobs and stores read it instead of Date.now. */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface MemoryCluster {
  readonly clock: FakeClock;
  readonly metadata: MetadataStore;
  readonly pool: MemoryNodePool;
  readonly svc: ObjectServices;
  readonly useCases: UseCases;
  readonly audit: AuditRecorder;
  readonly caller: Caller;
  /** Stores `body` under `key` in the path namespace (or `bucket`) and returns the object. */
  put(key: string, body: Buffer, bucket?: string): Promise<import('../../src/domain/records.js').ObjectRecord>;
  /** The object (or bytes `range` of it) read back through the use case. */
  read(bucket: string, key: string, range?: ByteRange): Promise<Buffer>;
  close(): Promise<void>;
}

async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export const silentLog = pino({ level: 'silent' });

/**
 * The gateway's use cases wired over a real SQLite database in memory and storage nodes held in memory:
 * the object use cases and the jobs run on it in milliseconds, with faults and time under the test's hand.
 * (`Date.now` still stamps records written by the metadata store; the jobs' clocks are the fake one.)
 */
export async function memoryCluster(
  options: { nodes?: number; scheme?: ErasureScheme; capacity?: number; machines?: readonly string[]; readTimeoutMs?: number } = {},
): Promise<MemoryCluster> {
  const clock = new FakeClock();
  const metadata = openSqliteStore(':memory:');
  const pool = new MemoryNodePool(clock.now);
  const count = options.machines?.length ?? options.nodes ?? 8;
  for (let i = 0; i < count; i++) pool.add(options.capacity, undefined, options.machines ? { machine: options.machines[i]! } : {});
  const scheme = options.scheme ?? { dataShards: 6, parityShards: 2, blockSize: 4096 };
  const coders = new Map<string, ErasureCoder>();
  const audit = new AuditRecorder(metadata.audit, silentLog, 5);
  const digests = new DigestWorker({ minBytes: Number.MAX_SAFE_INTEGER });
  const svc: ObjectServices = {
    metadata,
    nodes: pool,
    scheme,
    coderFor(s) {
      const key = `${s.dataShards}+${s.parityShards}`;
      let coder = coders.get(key);
      if (!coder) coders.set(key, (coder = createErasureCoder(s)));
      return coder;
    },
    log: silentLog,
    gcPacer: () => undefined,
    intentRefreshMs: 60_000,
    audit,
    stripeBuffers: new BufferPool(scheme.dataShards * scheme.blockSize, 4),
    // Six per GET under way; what several GETs leave idle is kept for the next ones.
    blockBuffers: new SizedBufferPools(24),
    parityBuffers: new BufferPool(Math.max(1, scheme.parityShards) * scheme.blockSize, 4),
    onShardReadFailure: () => undefined,
    digests,
    maxObjectSize: 1024 ** 3,
    readTimeoutMs: options.readTimeoutMs ?? 2000,
  };
  const useCases = createUseCases(svc);
  const caller: Caller = { client: '127.0.0.1', bytesIn: () => 0 };
  return {
    clock,
    metadata,
    pool,
    svc,
    useCases,
    audit,
    caller,
    async put(key, body, bucket = '_paths') {
      const { object } = await useCases.objects.put({ bucket, key, body: once(body), declaredSize: body.length, replace: bucket !== '_paths', signal: new AbortController().signal }, caller);
      return object;
    },
    async read(bucket, key, range) {
      const object = await useCases.objects.findLive(bucket, key);
      if (!object) throw new Error(`no object ${bucket}/${key}`);
      const chunks: Buffer[] = [];
      for await (const chunk of useCases.objects.read(object, range, new AbortController().signal)) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks);
    },
    async close() {
      await audit.flush();
      await digests.close();
      await metadata.close();
    },
  };
}
