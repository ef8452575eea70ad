import { createHash, type Hash } from 'node:crypto';
import { crc32, crc32c } from '@node-rs/crc32';
import { S3Error } from './s3-error.js';

/** The `x-amz-checksum-*` algorithms Shardstore verifies. (CRC64NVME is refused: no fast implementation here yet.) */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export const checksumHeader = (a: ChecksumAlgorithm): string => `x-amz-checksum-${a}`;

const crcBase64 = (value: number): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
};

/** Running checksums of a body, for the algorithms a request asked for. */
export class ChecksumTap {
  private crc32?: number;
  private crc32c?: number;
  private sha1?: Hash;
  private sha256?: Hash;

  constructor(readonly algorithms: ReadonlySet<ChecksumAlgorithm>) {
    if (algorithms.has('crc32')) this.crc32 = 0;
    if (algorithms.has('crc32c')) this.crc32c = 0;
    if (algorithms.has('sha1')) this.sha1 = createHash('sha1');
    // SHA-256 is computed by the upload itself (its digest is kept with the object); see `digests`.
  }

  update(chunk: Uint8Array): void {
    if (this.crc32 !== undefined) this.crc32 = crc32(chunk, this.crc32);
    if (this.crc32c !== undefined) this.crc32c = crc32c(chunk, this.crc32c);
    this.sha1?.update(chunk);
  }

  /** Base64 digests by header name, given the body's SHA-256 (hex) that the upload computed anyway. */
  digests(sha256Hex: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.crc32 !== undefined) out[checksumHeader('crc32')] = crcBase64(this.crc32);
    if (this.crc32c !== undefined) out[checksumHeader('crc32c')] = crcBase64(this.crc32c);
    if (this.sha1) out[checksumHeader('sha1')] = this.sha1.digest('base64');
    if (this.algorithms.has('sha256')) out[checksumHeader('sha256')] = Buffer.from(sha256Hex, 'hex').toString('base64');
    return out;
  }
}

/** The algorithm a header or trailer name stands for; S3's InvalidRequest for ones Shardstore cannot check. */
export function checksumAlgorithmOf(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(name.trim().toLowerCase());
  if (!m || m[1] === 'mode' || m[1] === 'type' || m[1] === 'algorithm') return undefined;
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === m[1]);
  if (!algorithm) throw new S3Error('InvalidRequest', 400, `${name} is not supported; use one of ${CHECKSUM_ALGORITHMS.map(checksumHeader).join(', ')}`);
  return algorithm;
}
