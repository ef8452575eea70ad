import type { IncomingMessage } from 'node:http';
import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import type { ErasureCoder } from '../core/erasure-coder.js';
import { BlockReader } from '../streams/block-reader.js';
import { SizedBufferPools, type SizedBuffers } from '../streams/buffer-pool.js';
import type { BlockSource } from '../core/block-frame.js';
import { StreamedBlocks, StreamReadsUnsupportedError } from '../node-protocol/streamed-blocks.js';
import { bearer, nodeRoutes, type RebuildRequest } from '../node-protocol/protocol.js';
import { peerTransport, type PeerTls, type PeerTransport } from '../platform/peer-transport.js';
import { FrameChannel } from '../node-protocol/frame-channel.js';
import { FramedBlocks, FramedReadRefusedError } from '../node-protocol/framed-blocks.js';
import { FRAMED_READ_BYTES, FRAMED_SHARD_BYTES } from '../node-protocol/frames.js';

/** Not enough of the part's shards could be read: the gateway rebuilds the shard itself instead. */
export class RebuildSourcesError extends Error {}

type Source = RebuildRequest['sources'][number];

/** What a source shard holds: `stripes` frames of `blockSize` bytes and their checksums; `where` names it in errors. */
export interface SourceShard {
  readonly blockSize: number;
  readonly stripes: number;
  readonly where: string;
  /** Where a streamed read takes its frame buffers from and gives them back. */
  readonly buffers?: SizedBuffers;
}

/** The shard being made, written stripe by stripe (src/storage-node/shard-writer.ts). */
export interface RebuiltShard {
  /** Resolves once the chunks are written or copied: their buffers may then be refilled. */
  append(chunks: readonly Buffer[]): Promise<void>;
  /** Makes it durable; resolves with its size. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export interface RebuildDeps {
  create(shardId: string): RebuiltShard;
  coder(scheme: RebuildRequest['scheme']): ErasureCoder;
  /** Opens a whole source shard on a peer: its verified blocks. */
  open(source: Source, shard: SourceShard): Promise<BlockSource>;
  buffers: RebuildBuffers;
}

/** Spare buffers of one size kept while rebuilds run: two frames for each of k sources of a few rebuilds. */
const IDLE_BUFFERS_PER_SIZE = 32;
/** After the last rebuild ends, its spare buffers are kept this long for the next one, then let go. */
const KEEP_BUFFERS_MS = 5_000;

/**
 * The rebuilds' buffers on a node: each source's two frames and each rebuild's stripe, recycled from one
 * rebuild to the next instead of fresh mappings whose pages fault in one by one (and whose external memory
 * started full collections of the heap). A repair pass sends rebuilds one after another, so the spares are
 * kept while any runs and for a few seconds after; then they go, so an idle node's memory is what it was.
 */
export class RebuildBuffers implements SizedBuffers {
  private pools = new SizedBufferPools(IDLE_BUFFERS_PER_SIZE);
  private running = 0;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(private readonly keepMs = KEEP_BUFFERS_MS) {}

  begin(): void {
    this.running += 1;
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
  }

  end(): void {
    this.running -= 1;
    if (this.running > 0) return;
    this.dropTimer = setTimeout(() => (this.pools = new SizedBufferPools(IDLE_BUFFERS_PER_SIZE)), this.keepMs);
    this.dropTimer.unref();
  }

  acquire(size: number): Buffer {
    return this.pools.acquire(size);
  }

  release(buffer: Buffer): void {
    this.pools.release(buffer);
  }
}

/**
 * Makes shard `index` of a part on this node from k of its other shards, read from the peers that hold them:
 * stripe by stripe, each source block verified against its CRC32C, the missing block decoded with the part's
 * Reed-Solomon code and written with its own checksum. The rebuilt bytes never cross the gateway, which only
 * plans the rebuild and commits its result. Sources are tried in the order given; one that cannot be opened is
 * replaced by the next, one that fails midway fails the rebuild (the gateway then rebuilds the shard itself).
 * Every buffer is recycled: the sources' frames, the stripe, and the checksum.
 */
export async function rebuildShard(request: RebuildRequest, deps: RebuildDeps): Promise<number> {
  const { dataShards: k, parityShards: m, blockSize: bs } = request.scheme;
  const { buffers } = deps;
  buffers.begin();
  const data = buffers.acquire(k * bs);
  const parity = buffers.acquire(m * bs);
  const checksum = Buffer.allocUnsafe(CHECKSUM_BYTES);
  let readers: OpenSource[] = [];
  let shard: RebuiltShard | undefined;
  try {
    // First, so that a shard that exists already is refused before any peer is asked for a byte.
    shard = deps.create(request.shardId);
    readers = await openSources(request.sources, k, { blockSize: bs, stripes: request.stripes, buffers }, deps);
    const present = Array.from({ length: k + m }, () => false);
    for (const r of readers) present[r.index] = true;
    const coder = deps.coder(request.scheme);
    const wanted = [request.index];
    const started = Date.now();
    const frameBytes = bs + CHECKSUM_BYTES;
    const block = request.index < k ? data.subarray(request.index * bs, (request.index + 1) * bs) : parity.subarray((request.index - k) * bs, (request.index - k + 1) * bs);
    for (let s = 0; s < request.stripes; s++) {
      const blocks = await Promise.all(readers.map((r) => r.blocks.next()));
      blocks.forEach((source, j) => {
        const { index, where } = readers[j]!;
        if (!source) throw new RebuildSourcesError(`${where} ended after ${s} of ${request.stripes} stripes`);
        source.copy(index < k ? data : parity, (index < k ? index : index - k) * bs);
      });
      await coder.reconstruct(data, parity, present, wanted);
      checksum.writeUInt32LE(crc32c(block), 0);
      await shard.append([block, checksum]);
      if (request.bytesPerSecond > 0) {
        const due = started + (((s + 1) * frameBytes) / request.bytesPerSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
    return await shard.commit();
  } catch (error) {
    await shard?.abort();
    throw error;
  } finally {
    await Promise.all(readers.map((r) => r.blocks.close().catch(() => undefined)));
    buffers.release(data);
    buffers.release(parity);
    buffers.end();
  }
}

interface OpenSource {
  readonly index: number;
  readonly where: string;
  readonly blocks: BlockSource;
}

/** The first k sources that open, tried in order (k at once, then one more for each that failed). */
async function openSources(sources: readonly Source[], k: number, shape: Omit<SourceShard, 'where'>, deps: RebuildDeps): Promise<OpenSource[]> {
  const opened: OpenSource[] = [];
  const failures: string[] = [];
  let next = 0;
  const tryOne = async (): Promise<void> => {
    while (next < sources.length && opened.length < k) {
      const source = sources[next++]!;
      const where = `shard ${source.index} (${source.shardId}) at ${source.url}`;
      try {
        // k of these run at once and each keeps one source, so the set never holds more than k.
        opened.push({ index: source.index, where, blocks: await deps.open(source, { ...shape, where }) });
        return;
      } catch (error) {
        failures.push(`${where}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: k }, tryOne));
  if (opened.length < k) {
    await Promise.all(opened.map((o) => o.blocks.close().catch(() => undefined)));
    throw new RebuildSourcesError(`only ${opened.length} of the ${k} source shards needed could be opened: ${failures.join('; ')}`);
  }
  return opened;
}

/**
 * Sources of at most this many frames are read over the framed channel, longer ones as streamed reads. A
 * framed read saves a streamed read's fixed cost (a connection of its own, upgraded: ~0.6 ms of CPU on each
 * side here), but each of its frames arrives in the socket's 64 KiB chunks and is copied once more, where a
 * streamed read lands in the frame buffer: with 16 MiB objects (11 frames per shard) read frame by frame the
 * nodes spent 27 instead of 18 CPU s per rebuilt GiB and ran ten times the full collections (`bench:repair`,
 * docs/BENCHMARKS.md).
 */
const FRAMED_SOURCE_STRIPES = 1;

/**
 * Opens shards on peer nodes over the internal protocol: a shard of one frame over one kept framed channel
 * per peer (src/node-protocol/framed-blocks.ts, over TLS when it is on); a longer one, or one from a peer of an
 * earlier version, as a streamed read straight into block buffers (src/node-protocol/streamed-blocks.ts) on a
 * plain connection, else over HTTP(S), with one keep-alive pool per peer. A peer silent for `idleMs` fails
 * the read.
 */
export class PeerShardReader {
  private readonly transports = new Map<string, PeerTransport>();
  private readonly channels = new Map<string, FrameChannel>();
  /** Peers that answered a streamed read as nodes of an earlier version. */
  private readonly withoutStreams = new Set<string>();

  constructor(
    private readonly secret: string,
    private readonly tls: PeerTls | undefined,
    private readonly idleMs: number,
    /** Told of every network chunk an HTTP read brings (the node's minor-GC pacing); streamed reads make no garbage. */
    private readonly onChunk?: (bytes: number) => void,
  ) {}

  async open(source: Source, shard: SourceShard): Promise<BlockSource> {
    const base = new URL(source.url);
    const framed = await this.openFramed(source, shard, base);
    if (framed) return framed;
    if (base.protocol === 'http:' && !this.withoutStreams.has(base.origin)) {
      try {
        return await StreamedBlocks.open({
          host: base.hostname,
          port: Number(base.port),
          path: nodeRoutes.shard(source.shardId),
          authorization: bearer(this.secret),
          range: { start: 0, end: shard.stripes * (shard.blockSize + CHECKSUM_BYTES) - 1 },
          blockSize: shard.blockSize,
          where: shard.where,
          buffers: shard.buffers,
          timeoutMs: this.idleMs,
          idleMs: this.idleMs,
          signal: new AbortController().signal,
        });
      } catch (error) {
        if (!(error instanceof StreamReadsUnsupportedError)) throw error;
        this.withoutStreams.add(base.origin);
      }
    }
    return new BlockReader(await this.openOverHttp(source, base), shard.blockSize, shard.where, this.onChunk);
  }

  /** The shard over the peer's framed channel, or undefined where the peer reads such frames only otherwise. */
  private async openFramed(source: Source, shard: SourceShard, base: URL): Promise<BlockSource | undefined> {
    const frameBytes = shard.blockSize + CHECKSUM_BYTES;
    if (shard.stripes > FRAMED_SOURCE_STRIPES || frameBytes > FRAMED_READ_BYTES) return undefined;
    const long = frameBytes > FRAMED_SHARD_BYTES;
    let channel = this.channels.get(base.origin);
    if (!channel) this.channels.set(base.origin, (channel = new FrameChannel(base, bearer(this.secret), this.idleMs, this.transport(base))));
    if (channel.unsupported || (long && channel.longReadsRefused)) return undefined;
    try {
      return await FramedBlocks.open({ channel, shardId: source.shardId, blockSize: shard.blockSize, stripes: shard.stripes, where: shard.where, buffers: shard.buffers });
    } catch (error) {
      if (channel.unsupported) return undefined;
      // A node of an earlier version reads at most a small shard's length through frames.
      if (long && error instanceof FramedReadRefusedError && error.status === 413) {
        channel.longReadsRefused = true;
        return undefined;
      }
      throw error;
    }
  }

  private transport(base: URL): PeerTransport {
    let transport = this.transports.get(base.origin);
    if (!transport) this.transports.set(base.origin, (transport = peerTransport(base, this.tls, { keepAlive: true, maxSockets: 16 })));
    return transport;
  }

  private openOverHttp(source: Source, base: URL): Promise<AsyncIterable<Uint8Array>> {
    const { request, agent } = this.transport(base);
    return new Promise((resolve, reject) => {
      const req = request({ agent, hostname: base.hostname, port: base.port, method: 'GET', path: nodeRoutes.shard(source.shardId), headers: { authorization: bearer(this.secret) } });
      req.setTimeout(this.idleMs, () => req.destroy(new Error(`no answer within ${this.idleMs} ms`)));
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`answered ${res.statusCode}`));
          return;
        }
        res.on('error', () => undefined);
        resolve(res);
      });
      req.end();
    });
  }

  close(): void {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
    for (const t of this.transports.values()) t.agent.destroy();
    this.transports.clear();
  }
}
