import type { PeerTransport } from '../platform/peer-transport.js';
import type { Socket } from 'node:net';
import { ShardUnavailableError } from '../core/errors.js';
import {
  decodeReply,
  encodeRequest,
  FrameDecoder,
  type Frame,
  FRAMES_PATH,
  FRAMES_UPGRADE,
  MAX_REPLY_FRAME_BYTES,
  type FrameReply,
} from './frames.js';

interface Pending {
  resolve(reply: FrameReply): void;
  reject(error: Error): void;
  /** `Date.now()` after which the call fails. */
  deadline: number;
  shardId: string;
}

/** How often a busy channel looks for calls past their deadline, as a share of the timeout. */
const SWEEPS_PER_TIMEOUT = 10;

/**
 * The calling end of one node's framed channel (src/node-protocol/frames.ts) — the gateway's, or a rebuilding
 * node's reading its sources from a peer: one kept, upgraded connection; calls are matched to replies by id,
 * and the requests of one wake-up of the event loop leave in one write. A lost connection fails every call under way (as a dropped HTTP exchange would) and the next call
 * connects again. A node that does not know the upgrade (404) is remembered as `unsupported`.
 *
 * Deadlines are kept by one sweep per channel, not a timer per call: a small upload makes eight calls and a
 * small GET six, each alive for the whole request, and their timers were among the objects every such
 * request left to the old generation (sampling heap profile under 4 KiB uploads). A call times out between
 * one and 1.1 timeouts after it was made.
 */
export class FrameChannel {
  unsupported = false;
  /** The node refused a read longer than a small shard (413): it predates longer framed reads. */
  longReadsRefused = false;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private corked = false;
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly base: URL,
    private readonly auth: string,
    private readonly timeoutMs: number,
    private readonly transport: PeerTransport,
  ) {}

  call(op: number, shardId: string, a: number, b: number, payload: readonly Buffer[] = []): Promise<FrameReply> {
    const socket = this.socket;
    if (!socket) return (this.connecting ??= this.connect()).then(() => this.call(op, shardId, a, b, payload));
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return new Promise<FrameReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs, shardId });
      this.sweeper ??= setInterval(() => this.sweep(), Math.max(1, Math.ceil(this.timeoutMs / SWEEPS_PER_TIMEOUT))).unref();
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        // Uncorked after the event loop's poll phase, not the current tick: the calls of every request that
        // arrived in one wake-up (many clients' GETs) leave in one write per node, not one write each.
        setImmediate(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      for (const chunk of encodeRequest(op, id, shardId, a, b, payload)) socket.write(chunk);
    });
  }

  /** Fails the calls past their deadline; calls are kept in the order they were made, so the first in time ends the scan. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, waiting] of this.pending) {
      if (waiting.deadline > now) return;
      this.pending.delete(id);
      waiting.reject(new ShardUnavailableError(`node ${this.base.origin}: no answer within ${this.timeoutMs} ms (shard ${waiting.shardId})`));
    }
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.socket?.destroy();
  }

  private connect(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const fail = (error: Error) => {
        this.connecting = undefined;
        reject(error instanceof ShardUnavailableError ? error : new ShardUnavailableError(`node ${this.base.origin}: ${error.message}`, { cause: error }));
      };
      if (this.closed) return fail(new Error('the channel is closed'));
      const req = this.transport.request({
        hostname: this.base.hostname,
        port: this.base.port,
        path: FRAMES_PATH,
        headers: { connection: 'Upgrade', upgrade: FRAMES_UPGRADE, authorization: this.auth },
        timeout: this.timeoutMs,
      });
      req.on('timeout', () => req.destroy(new Error(`no upgrade within ${this.timeoutMs} ms`)));
      req.on('error', fail);
      req.on('response', (res) => {
        res.resume();
        if (res.statusCode === 404) this.unsupported = true;
        fail(new ShardUnavailableError(`node ${this.base.origin} refused the framed channel: ${res.statusCode}`));
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        socket.setNoDelay(true);
        const decoder = new FrameDecoder(MAX_REPLY_FRAME_BYTES);
        const onData = (chunk: Buffer) => {
          let frames: Frame[];
          try {
            frames = decoder.push(chunk);
            for (const frame of frames) {
              const reply = decodeReply(frame);
              const waiting = this.pending.get(reply.id);
              if (!waiting) continue; // timed out meanwhile
              this.pending.delete(reply.id);
              waiting.resolve(reply);
            }
          } catch (error) {
            socket.destroy(error as Error);
          }
        };
        socket.on('data', onData);
        socket.on('error', () => undefined);
        socket.once('close', () => {
          if (this.socket === socket) this.socket = undefined;
          const lost = new ShardUnavailableError(`node ${this.base.origin}: the framed connection closed`);
          for (const [id, waiting] of this.pending) {
            this.pending.delete(id);
            waiting.reject(lost);
          }
        });
        this.socket = socket;
        this.connecting = undefined;
        if (head.length > 0) onData(head);
        resolve(socket);
      });
      req.end();
    });
  }
}
