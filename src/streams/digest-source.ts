import type { BodyDigest } from './content-digest.js';

/** Where uploads get their digests: on the calling thread, or a worker's (src/streams/digest-worker.ts). */
export interface DigestSource {
  /** A digest for a body of `expectedBytes` (undefined: not known in advance). */
  start(expectedBytes?: number): BodyDigest;
}
