import { Agent, request, type IncomingMessage } from 'node:http';
import { ShardUnavailableError, ShardMissingError } from '../core/errors.js';
import { bearer, nodeReportSchema, nodeRoutes, type NodeReport, type ShardListing, type TempPurge } from '../node-protocol/protocol.js';
import type { ShardSink, ShardStore } from './shard-store.js';
import { noDelay, openHttpShardSink } from './http-shard-sink.js';

/**
 * A storage node reached over the internal HTTP protocol with node:http and a keep-alive agent.
 * (node:http rather than undici: it reports when a written chunk has left the process, and it is
 * already loaded, which keeps the gateway's resident memory down.)
 */
export class HttpShardStore implements ShardStore {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128, keepAliveMsecs: 10_000 });
  private readonly base: URL;
  private readonly auth: string;

  constructor(
    readonly url: string,
    secret: string,
    private readonly requestTimeoutMs = 10_000,
  ) {
    this.base = new URL(url);
    this.auth = bearer(secret);
  }

  create(shardId: string): ShardSink {
    return openHttpShardSink(this.agent, this.base, this.auth, shardId);
  }

  async get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const headers: Record<string, string> = { authorization: this.auth };
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const res = await this.send('GET', nodeRoutes.shard(shardId), headers, signal);
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      const text = await readText(res).catch(() => '');
      const message = `node ${this.url} could not serve shard ${shardId}: ${res.statusCode} ${text}`;
      throw res.statusCode === 404 ? new ShardMissingError(message) : new ShardUnavailableError(message);
    }
    return res;
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

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /**
   * Sends a body-less request; resolves with the response once its headers arrived.
   * The signal is not given to node:http: aborting a finished request there destroys its socket,
   * which by then is back in the keep-alive pool and may carry another request. Here an abort only
   * tears down an exchange that is still under way.
   */
  private send(method: string, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ agent: this.agent, hostname: this.base.hostname, port: this.base.port, method, path, headers });
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

