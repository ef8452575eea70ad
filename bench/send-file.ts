import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';

const READ = 2 ** 20;

/**
 * The floors' way of sending a file over a socket and ending it: 1 MiB reads into two recycled buffers, one
 * read into while the socket sends the other (as a node sends a large shard range).
 */
export async function sendFile(socket: Socket, file: string): Promise<void> {
  const handle = await open(file);
  const free = [Buffer.allocUnsafe(READ), Buffer.allocUnsafe(READ)];
  let wake: (() => void) | undefined;
  for (;;) {
    while (free.length === 0) await new Promise<void>((r) => (wake = r));
    const buffer = free.pop()!;
    const { bytesRead } = await handle.read(buffer, 0, READ, null);
    if (bytesRead === 0) break;
    socket.write(buffer.subarray(0, bytesRead), () => {
      free.push(buffer);
      wake?.();
    });
  }
  await handle.close();
  socket.end();
}
