import { Pool } from 'undici';
import type { Readable } from 'node:stream';
import { ShardUnavailableError } from '../core/errors.js';
import { bearer, nodeReportSchema, nodeRoutes, type NodeReport } from '../node-protocol/protocol.js';
import type { ShardStore } from './shard-store.js';

/** A storage node reached over the internal HTTP protocol, with a keep-alive connection pool. */
export class HttpShardStore implements ShardStore {
  private readonly pool: Pool;
  private readonly auth: string;

  constructor(
    readonly url: string,
    secret: string,
    private readonly requestTimeoutMs = 10_000,
  ) {
    this.pool = new Pool(url, { connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });
    this.auth = bearer(secret);
  }

  async put(shardId: string, body: Readable, signal: AbortSignal): Promise<number> {
    const res = await this.pool.request({
      method: 'PUT',
      path: nodeRoutes.shard(shardId),
      headers: { authorization: this.auth, 'content-type': 'application/octet-stream' },
      body,
      signal,
      // The node answers once the whole shard is durable, which takes as long as the client's upload.
      headersTimeout: 0,
      bodyTimeout: this.requestTimeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) {
      throw new ShardUnavailableError(`node ${this.url} refused shard ${shardId}: ${res.statusCode} ${text}`);
    }
    return (JSON.parse(text) as { size: number }).size;
  }

  async get(shardId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const headers: Record<string, string> = { authorization: this.auth };
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const res = await this.pool.request({
      method: 'GET',
      path: nodeRoutes.shard(shardId),
      headers,
      signal,
      headersTimeout: this.requestTimeoutMs,
      // A paused download (slow client) must not time the node out; stalls are caught by the reader.
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      const text = await res.body.text().catch(() => '');
      throw new ShardUnavailableError(`node ${this.url} could not serve shard ${shardId}: ${res.statusCode} ${text}`);
    }
    return res.body;
  }

  async delete(shardId: string): Promise<boolean> {
    const res = await this.pool.request({
      method: 'DELETE',
      path: nodeRoutes.shard(shardId),
      headers: { authorization: this.auth },
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: this.requestTimeoutMs,
    });
    await res.body.dump();
    if (res.statusCode === 204) return true;
    if (res.statusCode === 404) return false;
    throw new ShardUnavailableError(`node ${this.url} could not delete shard ${shardId}: ${res.statusCode}`);
  }

  async status(timeoutMs: number): Promise<NodeReport> {
    const res = await this.pool.request({
      method: 'GET',
      path: nodeRoutes.status,
      headers: { authorization: this.auth },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body: unknown = await res.body.json();
    if (res.statusCode !== 200) throw new ShardUnavailableError(`node ${this.url} status: ${res.statusCode}`);
    return nodeReportSchema.parse(body);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
