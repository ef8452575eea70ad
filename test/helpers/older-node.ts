import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeRequest, encodeReply, FRAMED_SHARD_BYTES, FRAMES_UPGRADE, FrameDecoder, MAX_REQUEST_FRAME_BYTES } from '../../src/node-protocol/frames.js';

/**
 * A node of the version before longer framed reads, holding `data` under any shard id: it answers a framed
 * read beyond a small shard's length with 413, knows no streamed reads (their upgrade is answered as a
 * framed one), and serves the bytes over HTTP — a `Range` with 206, else the whole with 200. `seen` counts
 * the framed reads (their lengths) and the HTTP requests.
 */
export async function olderNode(data: Buffer) {
  const seen = { framed: [] as number[], http: 0 };
  const server = createServer((req, res) => {
    seen.http++;
    const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
    if (!range) return void res.writeHead(200, { 'content-length': data.length }).end(data);
    const body = data.subarray(Number(range[1]), Number(range[2]) + 1);
    res.writeHead(206, { 'content-length': body.length }).end(body);
  });
  const upgraded = new Set<Socket>();
  server.on('upgrade', (_req, socket: Socket) => {
    upgraded.add(socket);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${FRAMES_UPGRADE}\r\n\r\n`);
    const decoder = new FrameDecoder(MAX_REQUEST_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const { id, a: start, b: length } = decodeRequest(frame);
        seen.framed.push(length);
        const reply = length > FRAMED_SHARD_BYTES ? encodeReply(id, 413, 0, Buffer.from('too long')) : encodeReply(id, 200, data.length, data.subarray(start, start + length));
        for (const part of reply) socket.write(part);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    for (const socket of upgraded) socket.destroy();
    return new Promise((resolve) => server.close(resolve).closeAllConnections());
  };
  return { url, seen, close };
}
