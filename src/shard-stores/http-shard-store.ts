import type { IncomingMessage } from 'node:http';
import { peerTransport, type PeerTls, type PeerTransport } from '../platform/peer-transport.js';
import { ShardUnavailableError, ShardMissingError } from '../core/errors.js';
import { bearer, nodeReportSchema, nodeRoutes, type NodeReport, type ShardListing, type TempPurge } from '../node-protocol/protocol.js';
import type { BlockReadOptions, RebuildPlan, ShardSink, ShardStore } from '../domain/shard-store.js';
import type { BlockSource } from '../core/block-frame.js';
import { BlockReader } from '../streams/block-reader.js';
import { StreamedBlocks, StreamReadsUnsupportedError } from '../node-protocol/streamed-blocks.js';
import { noDelay, openHttpShardSink } from './http-shard-sink.js';
import { FrameChannel } from '../node-protocol/frame-channel.js';
import { FRAMED_READ_BYTES, FRAMED_SHARD_BYTES, OP_GET, OP_PUT, type FrameReply } from '../node-protocol/frames.js';

/** Blocks smaller than this are read over HTTP: a streamed read's head must fit before its first frame ends. */
const MIN_STREAMED_BLOCK = 4096;

/** Shard bytes moved between this process and the nodes, by direction, as they complete. */
export interface ShardTraffic {
  read: number;
  written: number;
}

/**
 * A storage node reached over the internal HTTP protocol with node:http and a keep-alive agent — HTTPS with
 * the cluster's certificates when the node's URL is `https:`. (node:http rather than undici: it reports when
 * a written chunk has left the process, and it is already loaded, which keeps the gateway's resident memory
 * down.)
 */
export class HttpShardStore implements ShardStore {
  private readonly transport: PeerTransport;
  private readonly agent: PeerTransport['agent'];
  private readonly base: URL;
  private readonly auth: string;
  /** Small shards' writes and reads (src/node-protocol/frames.ts). */
  private readonly frames: FrameChannel;

  private readonly requestTimeoutMs: number;
  private readonly traffic: ShardTraffic;
  /** The node answered a streamed read as a node of an earlier version: long reads go over HTTP. */
  private streamsUnsupported = false;

  constructor(
    readonly url: string,
    secret: string,
    options: {
      requestTimeoutMs?: number;
      /** The cluster's TLS: this process's certificate and the CA the node's must chain to. */
      tls?: PeerTls | undefined;
      /** Counts the shard bytes this process reads from and writes to nodes (shared by every node's store). */
      traffic?: ShardTraffic;
    } = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.traffic = options.traffic ?? { read: 0, written: 0 };
    this.base = new URL(url);
    this.auth = bearer(secret);
    this.transport = peerTransport(this.base, options.tls, { keepAlive: true, maxSockets: 128, keepAliveMsecs: 10_000 });
    this.agent = this.transport.agent;
    this.frames = new FrameChannel(this.base, this.auth, this.requestTimeoutMs, this.transport);
  }

  create(shardId: string, size?: number): ShardSink {
    if (size !== undefined && size <= FRAMED_SHARD_BYTES && !this.frames.unsupported) return this.framedSink(shardId, size);
    return openHttpShardSink(this.transport, this.base, this.auth, shardId, (bytes) => (this.traffic.written += bytes));
  }

  async get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    if (range && this.framesCanRead(range)) {
      const payload = this.framedPayload(shardId, range, await abortable(this.frames.call(OP_GET, shardId, range.start, range.end - range.start + 1), signal));
      if (payload) return piecesOf(payload);
    }
    const headers: Record<string, string> = { authorization: this.auth };
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const res = await this.send('GET', nodeRoutes.shard(shardId), headers, signal);
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      const text = await readText(res).catch(() => '');
      const message = `node ${this.url} could not serve shard ${shardId}: ${res.statusCode} ${text}`;
      throw res.statusCode === 404 ? new ShardMissingError(message) : new ShardUnavailableError(message);
    }
    // Counted whole once read to the end ('end' fires only then, and listening to it does not start the flow).
    res.once('end', () => (this.traffic.read += Number(res.headers['content-length'] ?? 0)));
    return res;
  }

  /**
   * A long read straight into block buffers (src/node-protocol/streamed-blocks.ts) on plain connections; over
   * TLS, from a node of an earlier version and for tiny blocks, `get`'s stream verified by a BlockReader.
   */
  async openBlocks(shardId: string, range: { start: number; end: number }, options: BlockReadOptions): Promise<BlockSource> {
    if (this.base.protocol === 'http:' && !this.streamsUnsupported && options.blockSize >= MIN_STREAMED_BLOCK) {
      try {
        return await StreamedBlocks.open({
          host: this.base.hostname,
          port: Number(this.base.port),
          path: nodeRoutes.shard(shardId),
          authorization: this.auth,
          range,
          blockSize: options.blockSize,
          where: options.where,
          timeoutMs: this.requestTimeoutMs,
          signal: options.signal,
          buffers: options.buffers,
          onBytes: (bytes) => (this.traffic.read += bytes),
        });
      } catch (error) {
        if (!(error instanceof StreamReadsUnsupportedError)) throw error;
        this.streamsUnsupported = true;
      }
    }
    const body = await this.get(shardId, range, options.signal);
    return new BlockReader(body, options.blockSize, options.where, options.onChunk, options.buffers);
  }

  readBytes(shardId: string, range: { start: number; end: number }): Promise<readonly Buffer[]> {
    if (!this.framesCanRead(range)) return this.readOverHttp(shardId, range);
    return this.frames
      .call(OP_GET, shardId, range.start, range.end - range.start + 1)
      .then((reply) => this.framedPayload(shardId, range, reply) ?? this.readOverHttp(shardId, range));
  }

  private async readOverHttp(shardId: string, range: { start: number; end: number }): Promise<readonly Buffer[]> {
    const pieces: Buffer[] = [];
    for await (const chunk of await this.get(shardId, range, AbortSignal.timeout(this.requestTimeoutMs))) pieces.push(chunk as Buffer);
    return pieces;
  }

  /** Whether `range` may be asked for over the framed channel (else over HTTP). */
  private framesCanRead(range: { start: number; end: number }): boolean {
    const length = range.end - range.start + 1;
    return length <= FRAMED_READ_BYTES && !this.frames.unsupported && !(length > FRAMED_SHARD_BYTES && this.frames.longReadsRefused);
  }

  /** A framed read's bytes in the pieces they arrived in, or undefined if this node reads `range` only over HTTP. */
  private framedPayload(shardId: string, range: { start: number; end: number }, reply: FrameReply): readonly Buffer[] | undefined {
    if (reply.status === 200) {
      this.traffic.read += reply.payloadBytes;
      return reply.payload;
    }
    // A node of an earlier version reads at most a small shard's length through frames: HTTP from now on.
    if (!(range.end - range.start + 1 > FRAMED_SHARD_BYTES && reply.status === 413)) throw this.refusal(shardId, reply);
    this.frames.longReadsRefused = true;
    return undefined;
  }

  async delete(shardId: string): Promise<boolean> {
    const res = await this.send('DELETE', nodeRoutes.shard(shardId), { authorization: this.auth }, AbortSignal.timeout(this.requestTimeoutMs));
    await readText(res);
    if (res.statusCode === 204) return true;
    if (res.statusCode === 404) return false;
    throw new ShardUnavailableError(`node ${this.url} could not delete shard ${shardId}: ${res.statusCode}`);
  }

  async status(timeoutMs: number): Promise<NodeReport> {
    const res = await this.send('GET', nodeRoutes.status, { authorization: this.auth }, AbortSignal.timeout(timeoutMs));
    const text = await readText(res);
    if (res.statusCode !== 200) throw new ShardUnavailableError(`node ${this.url} status: ${res.statusCode}`);
    return nodeReportSchema.parse(JSON.parse(text));
  }

  async *list(): AsyncIterable<ShardListing> {
    const res = await this.send('GET', nodeRoutes.shards, { authorization: this.auth }, new AbortController().signal);
    if (res.statusCode !== 200) throw new ShardUnavailableError(`node ${this.url} shard list: ${res.statusCode}`);
    let rest = '';
    for await (const chunk of res) {
      const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) yield JSON.parse(line) as ShardListing;
    }
    if (rest) yield JSON.parse(rest) as ShardListing;
  }

  async purgeTemp(olderThanSeconds: number): Promise<TempPurge> {
    const path = `${nodeRoutes.tmp}?older_than=${Math.floor(olderThanSeconds)}`;
    const res = await this.send('DELETE', path, { authorization: this.auth }, AbortSignal.timeout(this.requestTimeoutMs));
    const text = await readText(res);
    if (res.statusCode !== 200) throw new ShardUnavailableError(`node ${this.url} temp purge: ${res.statusCode} ${text}`);
    return JSON.parse(text) as TempPurge;
  }

  async rebuild(plan: RebuildPlan, timeoutMs: number): Promise<number> {
    const body = JSON.stringify(plan);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.transport.request({
        agent: this.agent,
        hostname: this.base.hostname,
        port: this.base.port,
        method: 'POST',
        path: nodeRoutes.rebuild,
        headers: { authorization: this.auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      // The node answers once the shard is durable: silence until then is the rebuild at work.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(new ShardUnavailableError(`node ${this.url} rebuild of shard ${plan.shardId}: ${error.message}`, { cause: error }));
      });
      req.on('response', (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      req.end(body);
    });
    const text = await readText(res);
    if (res.statusCode !== 201) throw new ShardUnavailableError(`node ${this.url} could not rebuild shard ${plan.shardId}: ${res.statusCode} ${text}`);
    return (JSON.parse(text) as { size: number }).size;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.frames.close();
  }

  /**
   * A small shard is gathered (copied: the caller reuses its buffers once a write resolves) and sent as one
   * frame at the end; an abort before then sends nothing.
   */
  private framedSink(shardId: string, size: number): ShardSink {
    const chunks: Buffer[] = [];
    let gathered = 0;
    let aborted = false;
    return {
      write: async (chunk) => {
        gathered += chunk.length;
        if (gathered > size) throw new ShardUnavailableError(`shard ${shardId} is larger than the ${size} bytes announced`);
        chunks.push(Buffer.from(chunk));
      },
      end: async () => {
        if (aborted) throw new ShardUnavailableError(`the upload of shard ${shardId} was aborted`);
        const reply = await this.frames.call(OP_PUT, shardId, 0, 0, chunks);
        if (reply.status !== 201) throw this.refusal(shardId, reply);
        this.traffic.written += gathered;
        return reply.value;
      },
      abort: () => {
        aborted = true;
      },
    };
  }

  private refusal(shardId: string, reply: FrameReply): Error {
    const message = `node ${this.url} refused shard ${shardId}: ${reply.status} ${Buffer.concat(reply.payload).toString('utf8')}`;
    return reply.status === 404 ? new ShardMissingError(message) : new ShardUnavailableError(message);
  }

  /**
   * Sends a body-less request; resolves with the response once its headers arrived.
   * The signal is not given to node:http: aborting a finished request there destroys its socket,
   * which by then is back in the keep-alive pool and may carry another request. Here an abort only
   * tears down an exchange that is still under way.
   */
  private send(method: string, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request({ agent: this.agent, hostname: this.base.hostname, port: this.base.port, method, path, headers });
      req.on('socket', noDelay);
      let res: IncomingMessage | undefined;
      const onAbort = () => {
        if (!res) req.destroy(new Error('aborted'));
        else if (!res.complete) res.destroy(new Error('aborted'));
      };
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)), this.requestTimeoutMs);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      req.once('response', (response) => {
        res = response;
        clearTimeout(timer);
        // Errors after the headers surface through the body's iterator while someone reads it;
        // unread, they must not become an unhandled 'error'.
        response.on('error', ignore);
        response.once('close', done);
        resolve(response);
      });
      // `on`, not `once`: a request can emit 'error' again after the first one.
      req.on('error', (error) => {
        done();
        reject(new ShardUnavailableError(`node ${this.url}: ${error.message}`, { cause: error }));
      });
      req.end();
    });
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const ignore = (): void => undefined;

async function* piecesOf(payload: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  yield* payload;
}

/** The call's result unless the signal fires first (a late reply is then dropped by the channel's caller). */
function abortable<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

