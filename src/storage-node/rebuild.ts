import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import type { ErasureCoder } from '../core/erasure-coder.js';
import { BlockReader } from '../streams/block-reader.js';
import type { BlockSource } from '../core/block-frame.js';
import { StreamedBlocks, StreamReadsUnsupportedError } from '../node-protocol/streamed-blocks.js';
import { bearer, nodeRoutes, type RebuildRequest } from '../node-protocol/protocol.js';
import { peerTransport, type PeerTls, type PeerTransport } from '../platform/peer-transport.js';

/** Not enough of the part's shards could be read: the gateway rebuilds the shard itself instead. */
export class RebuildSourcesError extends Error {}

type Source = RebuildRequest['sources'][number];

/** What a source shard holds: `stripes` frames of `blockSize` bytes and their checksums; `where` names it in errors. */
export interface SourceShard {
  readonly blockSize: number;
  readonly stripes: number;
  readonly where: string;
}

export interface RebuildDeps {
  /** Stores the shard from its frames; resolves with its size once it is durable. */
  write(shardId: string, frames: Readable): Promise<number>;
  coder(scheme: RebuildRequest['scheme']): ErasureCoder;
  /** Opens a whole source shard on a peer: its verified blocks. */
  open(source: Source, shard: SourceShard): Promise<BlockSource>;
}

const REBUILD_PIECE = 64 * 1024;

/**
 * Makes shard `index` of a part on this node from k of its other shards, read from the peers that hold them:
 * stripe by stripe, each source block verified against its CRC32C, the missing block decoded with the part's
 * Reed-Solomon code and written with its own checksum. The rebuilt bytes never cross the gateway, which only
 * plans the rebuild and commits its result. Sources are tried in the order given; one that cannot be opened is
 * replaced by the next, one that fails midway fails the rebuild (the gateway then rebuilds the shard itself).
 */
export async function rebuildShard(request: RebuildRequest, deps: RebuildDeps): Promise<number> {
  const { dataShards: k, parityShards: m, blockSize: bs } = request.scheme;
  const readers = await openSources(request.sources, k, { blockSize: bs, stripes: request.stripes }, deps);
  const present = Array.from({ length: k + m }, () => false);
  for (const r of readers) present[r.index] = true;
  const data = Buffer.alloc(k * bs);
  const parity = Buffer.alloc(m * bs);
  const coder = deps.coder(request.scheme);
  const wanted = [request.index];
  const started = Date.now();
  const frameBytes = bs + CHECKSUM_BYTES;
  async function* frames(): AsyncGenerator<Buffer> {
    for (let s = 0; s < request.stripes; s++) {
      const blocks = await Promise.all(readers.map((r) => r.blocks.next()));
      blocks.forEach((block, j) => {
        const { index, where } = readers[j]!;
        if (!block) throw new RebuildSourcesError(`${where} ended after ${s} of ${request.stripes} stripes`);
        block.copy(index < k ? data : parity, (index < k ? index : index - k) * bs);
      });
      await coder.reconstruct(data, parity, present, wanted);
      const block = request.index < k ? data.subarray(request.index * bs, (request.index + 1) * bs) : parity.subarray((request.index - k) * bs, (request.index - k + 1) * bs);
      // Copies of its own (the shard writer may hold several before they reach the disk), in pieces below the
      // processes' 128 KiB mmap threshold: a whole block's copy would be a fresh mapping faulted in page by page.
      for (let at = 0; at < bs; at += REBUILD_PIECE) yield Buffer.from(block.subarray(at, Math.min(bs, at + REBUILD_PIECE)));
      const checksum = Buffer.allocUnsafe(CHECKSUM_BYTES);
      checksum.writeUInt32LE(crc32c(block), 0);
      yield checksum;
      if (request.bytesPerSecond > 0) {
        const due = started + (((s + 1) * frameBytes) / request.bytesPerSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
  }
  try {
    return await deps.write(request.shardId, Readable.from(frames(), { objectMode: false }));
  } finally {
    await Promise.all(readers.map((r) => r.blocks.close().catch(() => undefined)));
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
 * Opens shards on peer nodes over the internal protocol: as streamed reads straight into block buffers
 * (src/node-protocol/streamed-blocks.ts) on plain connections, else over HTTPS with this node's certificate
 * (or HTTP from a peer of an earlier version), with one keep-alive pool per peer. A peer silent for `idleMs`
 * fails the read.
 */
export class PeerShardReader {
  private readonly transports = new Map<string, PeerTransport>();
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

  private openOverHttp(source: Source, base: URL): Promise<AsyncIterable<Uint8Array>> {
    let transport = this.transports.get(base.origin);
    if (!transport) this.transports.set(base.origin, (transport = peerTransport(base, this.tls, { keepAlive: true, maxSockets: 16 })));
    const { request, agent } = transport;
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
    for (const t of this.transports.values()) t.agent.destroy();
    this.transports.clear();
  }
}
