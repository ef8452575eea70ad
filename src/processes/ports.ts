import { createServer } from 'node:net';

/** A port nothing listens on now (the kernel's pick); another process may still take it before it is used. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Fails at once, naming the port and the flag that chose it, when another process listens on it: found
 * before anything is spawned, instead of in a child's log after a timeout.
 */
export function assertPortFree(host: string, port: number, flag: string): Promise<void> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`port ${port} on ${host} is in use by another process (${error.code ?? error.message}); choose another with ${flag}`)),
    );
    server.listen(port, host, () => server.close(() => done()));
  });
}
