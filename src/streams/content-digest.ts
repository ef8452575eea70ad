import { createHash, type Hash } from 'node:crypto';

/** SHA-256 and MD5 (the ETag) of everything passed through `update`, plus the byte count. */
export class ContentDigest {
  private readonly sha256: Hash = createHash('sha256');
  private readonly md5: Hash = createHash('md5');
  bytes = 0;

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    this.bytes += chunk.length;
  }

  digest(): { sha256: string; md5: string; bytes: number } {
    return { sha256: this.sha256.digest('hex'), md5: this.md5.digest('hex'), bytes: this.bytes };
  }
}
