import { closeSync, fstatSync, open, read } from 'node:fs';
import { promisify } from 'node:util';

const openFd = promisify(open);

/**
 * A file opened for reading by its descriptor, for the shard files a node serves. Only the calls that may
 * wait for the disk go through the thread pool: the open (a path lookup that can miss the caches) and the
 * reads. The size comes from fstat and the close is immediate, both on the event loop: fstat of an open
 * descriptor copies the inode the open brought into memory, and closing a file only read releases it; neither
 * waits for the disk. A thread-pool trip costs the loop ~45 µs and two context switches (more on a
 * paravirtualised guest); a rebuild of a one-frame shard opened, stat-ed, read and closed six source files
 * this way, and those trips were a quarter of the nodes' CPU samples (`bench:repair`, docs/BENCHMARKS.md).
 * Unlike a FileHandle, nothing closes it on garbage collection: its owner closes it.
 */
export class ReadOnlyFile {
  private fd: number;

  private constructor(
    fd: number,
    readonly size: number,
  ) {
    this.fd = fd;
  }

  static async open(path: string): Promise<ReadOnlyFile> {
    const fd = await openFd(path, 'r');
    try {
      return new ReadOnlyFile(fd, fstatSync(fd).size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get closed(): boolean {
    return this.fd === -1;
  }

  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; resolves with how many came (0 at the end). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (this.fd === -1) return Promise.reject(new Error('the file is closed'));
    return new Promise((resolve, reject) => read(this.fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
  }

  /** Closes the descriptor; again is a no-op. A read under way must have ended (its owner counts its users). */
  close(): void {
    if (this.fd === -1) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}
