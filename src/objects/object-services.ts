import type { ErasureScheme } from '../core/erasure-scheme.js';
import type { ErasureCoder } from '../core/erasure-coder.js';
import type { MetadataStore } from '../domain/metadata-store.js';
import type { NodePool } from '../domain/node-pool.js';
import type { Logger } from '../observability/logger.js';
import type { BufferPool, SizedBufferPools } from '../streams/buffer-pool.js';
import type { DigestSource } from '../streams/digest-source.js';
import type { GcPacer } from '../streams/gc-pacer.js';
import type { AuditRecorder } from './audit-recorder.js';

/** What the object use cases need, built once by the gateway's composition root. */
export interface ObjectServices {
  readonly metadata: MetadataStore;
  readonly nodes: NodePool;
  /** The default scheme for new objects. */
  readonly scheme: ErasureScheme;
  /** A coder per (k, m); cached by the caller. */
  coderFor(scheme: ErasureScheme): ErasureCoder;
  readonly log: Logger;
  /** Told how many network bytes were consumed, so dead socket buffers are collected promptly. */
  readonly gcPacer: GcPacer;
  /** How often a running upload refreshes its intent; well below the cleaner's grace period. */
  readonly intentRefreshMs: number;
  /** The action log (create, download, expire, purge, abort). */
  readonly audit: AuditRecorder;
  /** Recycled buffers of one full stripe (k × blockSize) and of its parity (m × blockSize). */
  readonly stripeBuffers: BufferPool;
  /** The block buffers of shard reads, reused from one read to the next. */
  readonly blockBuffers: SizedBufferPools;
  readonly parityBuffers: BufferPool;
  /** Counts a shard read replaced by parity (the metrics). */
  onShardReadFailure(reason: 'corrupt' | 'missing' | 'unreachable'): void;
  /** SHA-256 and MD5 of upload bodies (large ones on a worker thread). */
  readonly digests: DigestSource;
  /** The largest object an upload may store; larger ones are refused (413) before or while streaming. */
  readonly maxObjectSize: number;
  /** How long one frame read from a node may take before the read falls back to parity. */
  readonly readTimeoutMs: number;
}

/** What reading stored shards back needs: verified reads, parity rebuilds, the read metrics. */
export type ReadServices = Pick<ObjectServices, 'metadata' | 'nodes' | 'coderFor' | 'gcPacer' | 'log' | 'onShardReadFailure' | 'readTimeoutMs' | 'blockBuffers'>;

/** What switching a part's shards to new copies needs (repair, rebalance): intents and the nodes. */
export type ReplaceServices = Pick<ObjectServices, 'metadata' | 'nodes' | 'log' | 'intentRefreshMs'>;

/** What verifying stored shards in place needs (the scrubber). */
export type ScrubServices = Pick<ObjectServices, 'metadata' | 'nodes' | 'gcPacer'>;
