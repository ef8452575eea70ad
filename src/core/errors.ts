/**
 * Domain errors. Each carries a stable `code`; HTTP surfaces map codes to statuses in one place
 * (src/http/error-map.ts), so the core never knows about HTTP.
 */
export type ErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_REQUEST'
  | 'INVALID_RANGE'
  | 'NOT_FOUND'
  | 'KEY_EXISTS'
  | 'NOT_ENOUGH_NODES'
  | 'SHARD_UNAVAILABLE'
  | 'CHECKSUM_MISMATCH'
  | 'UPLOAD_ABORTED'
  | 'UPLOAD_INCOMPLETE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'GONE'
  | 'INSUFFICIENT_STORAGE'
  | 'NODE_PROTOCOL'
  | 'METHOD_NOT_ALLOWED'
  | 'OBJECT_TOO_LARGE'
  | 'SCHEMA_TOO_OLD'
  | 'CONFIG_INVALID'
  | 'METADATA_UNAVAILABLE'
  | 'JOB_BUSY'
  | 'NODE_IN_USE'
  | 'LEASE_LOST';

export class ShardstoreError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class InvalidKeyError extends ShardstoreError {
  constructor(message: string) {
    super('INVALID_KEY', message);
  }
}

export class InvalidRequestError extends ShardstoreError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

export class RangeNotSatisfiableError extends ShardstoreError {
  readonly size: number;
  constructor(size: number) {
    super('INVALID_RANGE', `the requested range is not satisfiable for an object of ${size} bytes`);
    this.size = size;
  }
}

export class NotFoundError extends ShardstoreError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** An S3 bucket that does not exist (or was deleted while an upload ran). */
export class NoSuchBucketError extends NotFoundError {
  constructor(readonly bucket: string) {
    super(`the bucket '${bucket}' does not exist`);
  }
}

/** A multipart upload that does not exist: never created, completed, aborted or expired. */
export class NoSuchUploadError extends NotFoundError {
  constructor(readonly uploadId: string) {
    super(`the multipart upload '${uploadId}' does not exist; it may have been completed, aborted or expired`);
  }
}

/** A multipart completion that names parts wrongly; `reason` is the S3 error code it answers with. */
export class MultipartPartsError extends ShardstoreError {
  constructor(
    readonly reason: 'InvalidPart' | 'InvalidPartOrder' | 'EntityTooSmall',
    message: string,
  ) {
    super('INVALID_REQUEST', message);
  }
}

export class KeyExistsError extends ShardstoreError {
  constructor(key: string) {
    super('KEY_EXISTS', `an object already exists at '${key}'; objects are write-once`);
  }
}

export class NotEnoughNodesError extends ShardstoreError {
  constructor(needed: number, available: number) {
    super('NOT_ENOUGH_NODES', `need ${needed} live storage nodes with free space, ${available} available`);
  }
}

export class ShardUnavailableError extends ShardstoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHARD_UNAVAILABLE', message, options);
  }
}

/** The node answers but no longer has the shard: a loss for the repairer, not a node failure. */
export class ShardMissingError extends ShardUnavailableError {}

export class ChecksumMismatchError extends ShardstoreError {
  constructor(message: string) {
    super('CHECKSUM_MISMATCH', message);
  }
}

export class UploadAbortedError extends ShardstoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UPLOAD_ABORTED', message, options);
  }
}

/** The upload's intent is gone: the cleaner judged it abandoned and removed its shards. */
export class IntentGoneError extends ShardstoreError {
  constructor(intentId: string) {
    super('UPLOAD_ABORTED', `upload ${intentId} was given up as abandoned before it could commit`);
  }
}

export class UploadIncompleteError extends ShardstoreError {
  constructor(received: number, declared: number) {
    super('UPLOAD_INCOMPLETE', `the body ended after ${received} of the ${declared} bytes its Content-Length declared`);
  }
}

export class ObjectTooLargeError extends ShardstoreError {
  constructor(limit: number) {
    super('OBJECT_TOO_LARGE', `the object is larger than the gateway's limit of ${limit} bytes (--max-object-size)`);
  }
}

export class UnauthorizedError extends ShardstoreError {
  constructor(message = 'missing or wrong credentials') {
    super('UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends ShardstoreError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class GoneError extends ShardstoreError {
  constructor(message: string) {
    super('GONE', message);
  }
}

export class NodeProtocolError extends ShardstoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NODE_PROTOCOL', message, options);
  }
}

export class MethodNotAllowedError extends ShardstoreError {
  readonly allow: readonly string[];
  constructor(method: string, path: string, allow: readonly string[]) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allow.join(' or ')}`);
    this.allow = allow;
  }
}

export class SchemaTooOldError extends ShardstoreError {
  constructor(message: string) {
    super('SCHEMA_TOO_OLD', message);
  }
}

/**
 * The metadata store cannot be reached (PostgreSQL restarting or gone, a SQLite file locked or on a full disk):
 * a passing condition, answered 503 with Retry-After, never a crash and never a 500.
 */
export class MetadataUnavailableError extends ShardstoreError {
  /** Seconds after which a client may try again. */
  readonly retryAfter = 2;
  constructor(options?: { cause?: unknown }) {
    super('METADATA_UNAVAILABLE', 'the metadata store is unreachable for the moment; try again in a few seconds', options);
  }
}

/** A background job's pass runs in another gateway: passes of one job never overlap. */
export class JobBusyError extends ShardstoreError {
  constructor(
    readonly job: string,
    readonly holder: string,
    readonly until: number,
  ) {
    super('JOB_BUSY', `a ${job} pass is running in another gateway (${holder}, lease until ${new Date(until).toISOString()}); try again when it has ended`);
  }
}

/** A node cannot be retired while live objects still have shards on it. */
export class NodeInUseError extends ShardstoreError {
  constructor(
    readonly nodeId: string,
    readonly shards: number,
  ) {
    super('NODE_IN_USE', `node ${nodeId} still holds ${shards} shard${shards === 1 ? '' : 's'} of live objects: drain it (shardstore nodes drain) while it runs, or repair them elsewhere (POST /_repair) if it is gone, then retire it`);
  }
}

/** A background pass tried to change metadata after its lease passed to another holder: it must stop. */
export class LeaseLostError extends ShardstoreError {
  constructor(readonly lease: string) {
    super('LEASE_LOST', `the lease '${lease}' is no longer this pass's; the pass stops`);
  }
}

export class ConfigInvalidError extends ShardstoreError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
