/**
 * Bytes a node keeps free on its file system, and the room it may still fill: shard writes are refused at
 * once (507) below the reserve, so a full disk fails an upload's shard in milliseconds rather than stalling it
 * until a timeout, and the file system keeps room for the node's own metadata, logs and temp files.
 */
export interface DiskRoom {
  /** Bytes that may still be written: free bytes less the reserve (0 when below it). */
  available(): number;
  readonly reserve: number;
}

/** The default reserve: 1 % of the file system, at most 1 GiB. */
export const defaultReserve = (fileSystemBytes: number): number => Math.min(1024 ** 3, Math.floor(fileSystemBytes / 100));

/** Whether an error says the disk is full (or over quota): a 507 for the sender, not a 500. */
export const isDiskFull = (error: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException | null)?.code ?? '');

export class InsufficientStorageError extends Error {
  constructor(readonly available: number) {
    super(`not enough free space on this node's disk (${available} bytes available above its reserve)`);
    this.name = 'InsufficientStorageError';
  }
}
