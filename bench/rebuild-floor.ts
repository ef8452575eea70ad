/**
 * `npm run bench:rebuild-floor`: the least CPU nine Node.js node processes on this machine can spend rebuilding
 * a lost node's shards the way Shardstore's nodes do, so that `npm run bench:repair`'s figure can be read
 * against what the machine allows.
 *
 * The same shape as bench:repair: 16 MiB objects at 6 + 2 with 256 KiB blocks, so ~100 shards of eleven
 * frames; every rebuild reads six source shards from six other processes and writes one, two rebuilds at once
 * per process. What is left of a rebuild: each source streams its file over raw TCP from two recycled 1 MiB
 * buffers; the rebuilding process takes the bytes straight into two recycled frame buffers per source (`onread`),
 * verifies each block's CRC32C, copies it into the stripe, decodes the missing block with the same
 * Reed-Solomon library, checksums it and appends it to a temp file, which is fsynced and renamed at the end.
 * Left out: HTTP (the upgrade of a streamed read, the rebuild request), authentication, validation, the
 * gateway's plan and commit, the repairer's scheduling.
 *
 *   BENCH_REBUILD_SHARDS (default 100)  shards rebuilt
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c } from '@node-rs/crc32';
import { blockChecksum } from '../src/core/block-frame.js';
import { createErasureCoder } from '../src/core/erasure-coder.js';
import { CHECKSUM_BYTES } from '../src/core/erasure-scheme.js';
import { cpuSeconds } from './proc-cpu.js';
import { sendFile } from './send-file.js';

const K = 6;
const M = 2;
const BLOCK = 256 * 1024;
const FRAME = BLOCK + CHECKSUM_BYTES;
/** A 16 MiB object's shard: 16 MiB / 6 in 256 KiB blocks. */
const STRIPES = Math.ceil((16 * 2 ** 20) / K / BLOCK);
const PROCESSES = 9;
const REBUILDS_PER_PROCESS = 2;
const SHARDS = Number(process.env.BENCH_REBUILD_SHARDS ?? 100);

interface Job {
  readonly sources: readonly { port: number; file: string; index: number }[];
  readonly index: number;
  readonly out: string;
}

/** Streams the file a connection names (its first line) from two recycled buffers. */
function serveSources(): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (line: Buffer) => void sendFile(socket, line.toString('utf8').trim()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** Frame buffers recycled from one rebuild to the next, as a node's are. */
const spareFrames: Buffer[] = [];

/** One source's frames as they arrive: two buffers, the socket paused while both are full. */
class SourceFrames {
  private readonly frames = [spareFrames.pop() ?? Buffer.allocUnsafe(FRAME), spareFrames.pop() ?? Buffer.allocUnsafe(FRAME)];
  private readonly parking = Buffer.allocUnsafeSlow(512);
  private filling: number | undefined = 0;
  private filled = 0;
  private readonly ready: number[] = [];
  private held: number | undefined;
  private wake: (() => void) | undefined;
  private readonly socket: Socket;

  constructor(port: number, file: string) {
    this.socket = connect({
      port,
      host: '127.0.0.1',
      noDelay: true,
      onread: {
        // Node asks for the next read's buffer right after each read: after the read that paused the socket
        // that is this one, so the first read after a resume lands here and is copied into the frame freed
        // meanwhile (as Shardstore's streamed reads do).
        buffer: () => (this.filling === undefined ? this.parking : this.frames[this.filling]!.subarray(this.filled)),
        callback: (n: number, buffer: Uint8Array) => {
          if (buffer.buffer === this.parking.buffer) this.parking.copy(this.frames[this.filling!]!, this.filled, 0, n);
          this.filled += n;
          if (this.filled < FRAME) return true;
          this.ready.push(this.filling!);
          this.filled = 0;
          const free = this.frames.findIndex((_, i) => i !== this.held && !this.ready.includes(i));
          this.filling = free < 0 ? undefined : free;
          this.wake?.();
          return this.filling !== undefined;
        },
      },
    });
    this.socket.on('error', () => undefined);
    this.socket.write(`${file}\n`);
  }

  async next(): Promise<Buffer> {
    if (this.held !== undefined) {
      const freed = this.held;
      this.held = undefined;
      if (this.filling === undefined) {
        this.filling = freed;
        this.socket.resume();
      }
    }
    while (this.ready.length === 0) await new Promise<void>((r) => (this.wake = r));
    this.held = this.ready.shift()!;
    const frame = this.frames[this.held]!;
    if (crc32c(frame.subarray(0, BLOCK)) !== frame.readUInt32LE(BLOCK)) throw new Error('checksum mismatch');
    return frame;
  }

  close(): void {
    this.socket.destroy();
    spareFrames.push(...this.frames);
  }
}

interface Stripe {
  readonly data: Buffer;
  readonly parity: Buffer;
}

async function rebuild(job: Job, coder: ReturnType<typeof createErasureCoder>, { data, parity }: Stripe): Promise<number> {
  const checksum = Buffer.allocUnsafe(CHECKSUM_BYTES);
  const present = Array.from({ length: K + M }, (_, i) => job.sources.some((s) => s.index === i));
  const sources = job.sources.map((s) => ({ index: s.index, frames: new SourceFrames(s.port, s.file) }));
  const tmp = `${job.out}.tmp`;
  const handle = await open(tmp, 'wx');
  const block = job.index < K ? data.subarray(job.index * BLOCK, (job.index + 1) * BLOCK) : parity.subarray((job.index - K) * BLOCK, (job.index - K + 1) * BLOCK);
  for (let s = 0; s < STRIPES; s++) {
    const frames = await Promise.all(sources.map((source) => source.frames.next()));
    frames.forEach((frame, j) => {
      const index = sources[j]!.index;
      frame.copy(index < K ? data : parity, (index < K ? index : index - K) * BLOCK, 0, BLOCK);
    });
    await coder.reconstruct(data, parity, present, [job.index]);
    checksum.writeUInt32LE(crc32c(block), 0);
    await handle.writev([block, checksum]);
  }
  for (const source of sources) source.frames.close();
  await handle.sync();
  await handle.close();
  await rename(tmp, job.out);
  return STRIPES * FRAME;
}

async function child(): Promise<void> {
  const port = await serveSources();
  const coder = createErasureCoder({ dataShards: K, parityShards: M });
  process.on('message', (message: { jobs: Job[] }) => {
    void (async () => {
      const queue = [...message.jobs];
      let bytes = 0;
      await Promise.all(
        Array.from({ length: REBUILDS_PER_PROCESS }, async () => {
          // Each of the process's rebuilds at once has its stripe, reused by the next.
          const stripe = { data: Buffer.allocUnsafe(K * BLOCK), parity: Buffer.allocUnsafe(M * BLOCK) };
          for (let job = queue.shift(); job; job = queue.shift()) {
            const rebuilt = await rebuild(job, coder, stripe);
            bytes += rebuilt;
          }
        }),
      );
      process.send!({ bytes });
    })();
  });
  process.send!({ port });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-rebuild-floor-'));
  const children = Array.from({ length: PROCESSES }, () => fork(fileURLToPath(import.meta.url), ['child'], { stdio: 'inherit' }));
  try {
    const ports = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.once('message', (m: { port: number }) => resolve(m.port)))));
    // Valid frames, one content for every source file (what is measured is moving and coding them, not their bytes).
    const frames = Buffer.allocUnsafe(STRIPES * FRAME);
    for (let s = 0; s < STRIPES; s++) {
      const block = randomBytes(BLOCK);
      block.copy(frames, s * FRAME);
      blockChecksum(block).copy(frames, s * FRAME + BLOCK);
    }
    const jobs: Job[][] = children.map(() => []);
    for (let n = 0; n < SHARDS; n++) {
      const target = n % PROCESSES;
      const holders = Array.from({ length: K }, (_, j) => (target + 1 + ((n + j) % (PROCESSES - 1))) % PROCESSES);
      const sources = await Promise.all(
        holders.map(async (holder, j) => {
          const file = join(dir, `shard-${n}-${j}`);
          await writeFile(file, frames);
          return { port: ports[holder]!, file, index: j + 1 };
        }),
      );
      jobs[target]!.push({ sources, index: 0, out: join(dir, `rebuilt-${n}`) });
    }
    console.log(`rebuilding ${SHARDS} shards of ${STRIPES} frames on ${PROCESSES} processes…`);
    const cpuBefore = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
    const started = process.hrtime.bigint();
    // A process that fails (a checksum mismatch, a refused connection) exits: the run fails instead of waiting.
    const done = children.map(
      (c) =>
        new Promise<number>((resolve, reject) => {
          c.once('message', (m: { bytes: number }) => resolve(m.bytes));
          c.once('exit', (code) => reject(new Error(`a rebuilding process exited with ${code} before its rebuilds were done`)));
        }),
    );
    children.forEach((c, i) => c.send({ jobs: jobs[i] }));
    const bytes = (await Promise.all(done)).reduce((a, b) => a + b, 0);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0) - cpuBefore;
    console.log(
      `rebuild floor: ${SHARDS} shards, ${(bytes / 1e6).toFixed(0)} MB rebuilt in ${seconds.toFixed(1)} s = ${(bytes / 1e6 / seconds).toFixed(0)} MB/s; ` +
        `CPU s per rebuilt GiB: ${(cpu / (bytes / 2 ** 30)).toFixed(2)} (the ${PROCESSES} processes)`,
    );
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child();
else await main();
