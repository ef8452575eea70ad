/**
 * `npm run bench:floor`: the least CPU a Node.js gateway with its storage nodes in separate processes can
 * spend on a large PUT and GET on this machine, beside nginx's PUT+sync and cold GET of the same bytes, in
 * one run.
 *
 * GET: six reader processes each stream a sixth of the object from a file on disk over raw TCP (1 MiB reads
 * into two recycled buffers, no HTTP, no checksums, no framing) to one relay process, which hands their bytes
 * to curl over HTTP — a Shardstore GET with everything but the data movement taken out (no metadata, no block
 * checksums to verify, no striping arithmetic, no HTTP between relay and readers). Twice: the relay takes
 * Node's default socket reads (a fresh 64 KiB buffer each, written on as they are), and then `onread` into
 * recycled 256 KiB buffers written on without a copy ("GET onread", the true floor: Shardstore's GET reads
 * its shards the same way and adds a checksum and one copy per block).
 *
 * PUT: curl uploads the object to the relay, which computes its MD5 and SHA-256 (the ETag and the checksum
 * the APIs answer with) and hands each chunk over raw TCP to one of six writer processes, with a copy of
 * every third to one of two more (the parity's volume, without computing it); each writer appends what it
 * gets to a file and fdatasyncs it at the end, and the relay answers once all eight have. No erasure coding,
 * no block checksums, no metadata, no HTTP between relay and writers.
 *
 *   BENCH_LARGE_MB (default 1024)  object size
 *   BENCH_FLOOR_REPS (default 3)   cold GETs of each
 */
import { fork, execSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/processes/ports.js';
import { ensureDebianTool } from './debian-tool.js';
import { startNginx } from './nginx-webdav.js';
import { sendFile } from './send-file.js';

const READ = 2 ** 20;
const RELAY_BUFFER = 256 * 1024;

async function reader(port: number, file: string): Promise<void> {
  createServer((socket) => void sendFile(socket, file)).listen(port, '127.0.0.1', () => process.send?.('ready'));
}

async function writer(port: number, file: string): Promise<void> {
  let uploads = 0;
  // Half-open: the relay ends its side when the upload is complete and waits for this side's answer.
  createServer({ allowHalfOpen: true }, (socket) => {
    const opened = open(`${file}-${uploads++}`, 'w');
    let batch: Buffer[] = [];
    let batched = 0;
    let writing: Promise<unknown> = opened;
    // Chunks gathered into writes of 1 MiB or more, one at a time, the socket paused while one is under way.
    const flush = () => {
      const chunks = batch;
      batch = [];
      batched = 0;
      writing = writing.then(async () => (await opened).writev(chunks));
      return writing;
    };
    socket.on('data', (chunk: Buffer) => {
      batch.push(chunk);
      batched += chunk.length;
      if (batched < READ) return;
      socket.pause();
      void flush().then(() => socket.resume());
    });
    socket.on('end', () => {
      void flush().then(async () => {
        const handle = await opened;
        await handle.datasync();
        await handle.close();
        socket.end('ok');
      });
    });
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
}

async function relayUpload(req: IncomingMessage, res: ServerResponse, writerPorts: number[]): Promise<void> {
  const sinks = writerPorts.map((p) => connect(p, '127.0.0.1'));
  const acknowledged = sinks.map((socket) => new Promise<void>((resolve, reject) => socket.once('data', () => resolve()).once('error', reject)));
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
    const targets = [sinks[n % 6]!, ...(n % 3 === 0 ? [sinks[6 + ((n / 3) % 2)]!] : [])];
    n++;
    for (const sink of targets) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
  }
  for (const sink of sinks) sink.end();
  await Promise.all(acknowledged);
  res.writeHead(201).end(`${md5.digest('hex')} ${sha256.digest('hex')}\n`);
}

/**
 * The GET relayed with the least work Node.js allows: the kernel reads each source straight into recycled
 * 256 KiB buffers (`onread`), and a full buffer goes to the client as it is, back to the pool once the socket
 * has taken it; no copy in the process at all. Shardstore's GET does the same reads plus, per block, a
 * checksum and one copy into its output buffer.
 */
function relayWithOnread(res: ServerResponse, readerPorts: number[]): void {
  const free: Buffer[] = [];
  const take = () => free.pop() ?? Buffer.allocUnsafe(RELAY_BUFFER);
  let remaining = readerPorts.length;
  const sockets: Socket[] = [];
  const send = (buffer: Buffer, length: number) => {
    if (!res.write(buffer.subarray(0, length), () => free.push(buffer))) {
      for (const s of sockets) s.pause();
      res.once('drain', () => sockets.forEach((s) => s.resume()));
    }
  };
  res.writeHead(200);
  for (const port of readerPorts) {
    let current = take();
    let filled = 0;
    const socket = connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: () => current.subarray(filled),
        callback: (n: number) => {
          filled += n;
          if (filled === RELAY_BUFFER) {
            send(current, filled);
            current = take();
            filled = 0;
          }
          return true;
        },
      },
    });
    socket.on('end', () => {
      if (filled > 0) send(current, filled);
      if (--remaining === 0) res.end();
    });
    sockets.push(socket);
  }
}

async function relay(port: number, readerPorts: number[], writerPorts: number[]): Promise<void> {
  createHttpServer((req, res) => {
    if (req.method === 'PUT') {
      void relayUpload(req, res, writerPorts);
      return;
    }
    if (req.url === '/onread') {
      relayWithOnread(res, readerPorts);
      return;
    }
    void (async () => {
      const sources = readerPorts.map((p) => (connect(p, '127.0.0.1') as Socket)[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
      res.writeHead(200);
      const live = new Set(sources.keys());
      while (live.size > 0) {
        for (const i of [...live]) {
          const next = await sources[i]!.next();
          if (next.done) live.delete(i);
          else if (!res.write(next.value)) await new Promise((r) => res.once('drain', r));
        }
      }
      res.end();
    })();
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A transfer by curl (an upload of `file` when given, else a cold GET): MB/s and curl's own CPU seconds. */
function transfer(url: string, size: number, file?: string, afterwards = ''): { mbs: number; clientCpu: number } {
  if (file === undefined) execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { shell: '/bin/bash', stdio: 'ignore' });
  const upload = file === undefined ? '' : `-T ${file} -H 'Expect:'`;
  const started = process.hrtime.bigint();
  const run = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time curl -sS -o /dev/null -w '%{http_code} %{size_download} %{size_upload}\\n' ${upload} ${url} ${afterwards}`], {
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [status, down, up, user, sys] = run.stdout.trim().split(/\s+/).concat(run.stderr.trim().split(/\s+/)).map(Number);
  if (status! >= 300 || (file === undefined ? down : up) !== size) throw new Error(`curl ${url}: ${run.stdout} ${run.stderr}`);
  return { mbs: size / 1e6 / seconds, clientCpu: user! + sys! };
}

async function main(): Promise<void> {
  const size = Number(process.env.BENCH_LARGE_MB ?? 1024) * 2 ** 20;
  const reps = Number(process.env.BENCH_FLOOR_REPS ?? 3);
  ensureDebianTool('/usr/bin/curl', 'curl');
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-bench-floor-'));
  const nginx = await startNginx(dir, await freePort('127.0.0.1'));
  const children: ChildProcess[] = [];
  try {
    const chunk = randomBytes(8 * 2 ** 20);
    const whole = await open(join(nginx.root, 'large.bin'), 'w');
    const parts: string[] = [];
    const shard = Math.ceil(size / 6);
    for (let i = 0; i < 6; i++) {
      const path = join(dir, `shard-${i}`);
      const handle = await open(path, 'w');
      for (let at = 0; at < shard && i * shard + at < size; at += chunk.length) {
        const piece = chunk.subarray(0, Math.min(chunk.length, shard - at, size - i * shard - at));
        await handle.write(piece);
        await whole.write(piece);
      }
      await handle.close();
      parts.push(path);
    }
    await whole.close();
    const start = async (args: string[]): Promise<ChildProcess> => {
      const child = fork(fileURLToPath(import.meta.url), args);
      children.push(child);
      await new Promise((resolve, reject) => child.once('message', resolve).once('exit', reject));
      return child;
    };
    const readerPorts = await Promise.all(parts.map(() => freePort('127.0.0.1')));
    const readers = await Promise.all(parts.map((file, i) => start(['reader', String(readerPorts[i]), file])));
    const writerPorts = await Promise.all([...Array(8).keys()].map(() => freePort('127.0.0.1')));
    const writers = await Promise.all(writerPorts.map((p, i) => start(['writer', String(p), join(dir, `written-${i}`)])));
    const relayPort = await freePort('127.0.0.1');
    const relayChild = await start(['relay', String(relayPort), readerPorts.join(','), writerPorts.join(',')]);
    const source = join(nginx.root, 'large.bin');
    const gib = size / 2 ** 30;
    /** Runs `fn` and returns its result with the CPU seconds per GiB the relay and the other processes spent. */
    const measured = <T>(others: ChildProcess[], fn: () => T) => {
      const all = [relayChild, ...others];
      const before = all.map((c) => cpuSeconds(c.pid!));
      const value = fn();
      const used = all.map((c, i) => (cpuSeconds(c.pid!) - before[i]!) / gib);
      return { value, relay: used[0]!, others: used.slice(1).reduce((x, y) => x + y, 0) };
    };
    console.log(`object ${size / 2 ** 20} MiB; nginx's PUT is followed by sync, the page cache dropped before every GET; CPU in seconds per GiB`);
    for (let rep = 1; rep <= reps; rep++) {
      const basePut = transfer(`${nginx.url}/up-${rep}.bin`, size, source, '&& sync');
      const put = measured(writers, () => transfer(`http://127.0.0.1:${relayPort}/`, size, source));
      const baseGet = transfer(`${nginx.url}/large.bin`, size);
      const get = measured(readers, () => transfer(`http://127.0.0.1:${relayPort}/`, size));
      const getOnread = measured(readers, () => transfer(`http://127.0.0.1:${relayPort}/onread`, size));
      const line = (what: string, base: { mbs: number }, floor: typeof put, role: string) =>
        `${what} nginx ${base.mbs.toFixed(0)} MB/s · Node floor ${floor.value.mbs.toFixed(0)} MB/s = ${(floor.value.mbs / base.mbs).toFixed(2)} of nginx ` +
        `(CPU: relay ${floor.relay.toFixed(2)}, ${role} ${floor.others.toFixed(2)}, curl ${(floor.value.clientCpu / gib).toFixed(2)})`;
      console.log(`run ${rep}: ${line('PUT', basePut, put, 'writers')}`);
      console.log(`run ${rep}: ${line('GET', baseGet, get, 'readers')}`);
      console.log(`run ${rep}: ${line('GET onread', baseGet, getOnread, 'readers')}`);
    }
  } finally {
    for (const child of children) child.kill();
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, port, ...rest] = process.argv.slice(2);
const ports = (list: string | undefined) => (list ?? '').split(',').map(Number);
if (role === 'reader') await reader(Number(port), rest[0]!);
else if (role === 'writer') await writer(Number(port), rest[0]!);
else if (role === 'relay') await relay(Number(port), ports(rest[0]), ports(rest[1]));
else await main();
