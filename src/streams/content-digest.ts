import { createHash, type Hash } from 'node:crypto';

export interface Digests {
  /** Hex digests of the bytes, and their count. */
  readonly sha256: string;
  readonly md5: string;
  readonly bytes: number;
}

/** The running SHA-256 and MD5 (the ETag) of one body, fed chunk by chunk. */
export interface BodyDigest {
  readonly bytes: number;
  /** Takes a chunk; a returned promise asks the caller to wait before the next one (and to keep this one unchanged). */
  update(chunk: Uint8Array): Promise<void> | undefined;
  digest(): Digests | Promise<Digests>;
  /** The body was abandoned: no digest will be asked for. */
  cancel(): void;
}

/** SHA-256 and MD5 of everything passed through `update`, on the calling thread. */
export class ContentDigest implements BodyDigest {
  private readonly sha256: Hash = createHash('sha256');
  private readonly md5: Hash = createHash('md5');
  bytes = 0;

  update(chunk: Uint8Array): undefined {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    this.bytes += chunk.length;
    return undefined;
  }

  digest(): Digests {
    return { sha256: this.sha256.digest('hex'), md5: this.md5.digest('hex'), bytes: this.bytes };
  }

  cancel(): void {}
}
