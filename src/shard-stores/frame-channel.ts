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
} from '../node-protocol/frames.js';

interface Pending {
  resolve(reply: FrameReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The gateway's end of one node's framed channel (src/node-protocol/frames.ts): one kept, upgraded
 * connection; calls are matched to replies by id, and the requests of one wake-up of the event loop leave in one
 * write. A lost connection fails every call under way (as a dropped HTTP exchange would) and the next call
 * connects again. A node that does not know the upgrade (404) is remembered as `unsupported`.
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

  constructor(
    private readonly base: URL,
    private readonly auth: string,
    private readonly timeoutMs: number,
    private readonly transport: PeerTransport,
  ) {}

  async call(op: number, shardId: string, a: number, b: number, payload: readonly Buffer[] = []): Promise<FrameReply> {
    const socket = this.socket ?? (await (this.connecting ??= this.connect()));
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return new Promise<FrameReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ShardUnavailableError(`node ${this.base.origin}: no answer within ${this.timeoutMs} ms (shard ${shardId})`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
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

  close(): void {
    this.closed = true;
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
              clearTimeout(waiting.timer);
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
            clearTimeout(waiting.timer);
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
