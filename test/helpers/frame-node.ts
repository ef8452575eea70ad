import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ShardFiles } from '../../src/storage-node/shard-files.js';
import { attachFrameServer } from '../../src/storage-node/frame-server.js';

/**
 * A storage node's shard files behind its upgrade listener alone (the framed channel and streamed reads),
 * on a loopback port, with `secret`; every other request is answered 404.
 */
export async function frameNode(secret: string) {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-frames-'));
  const shards = new ShardFiles(root);
  await shards.init();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const frames = attachFrameServer(server, { shards, secret, log: pino({ level: 'silent' }), room: { reserve: 0, available: () => Number.MAX_SAFE_INTEGER } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const stop = async () => {
    frames.close();
    await new Promise((resolve) => server.close(resolve));
    await shards.close();
    rmSync(root, { recursive: true });
  };
  return { url, shards, stop };
}
