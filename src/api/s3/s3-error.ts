import { MultipartPartsError, NoSuchBucketError, NoSuchUploadError, ShardstoreError, type ErrorCode } from '../../core/errors.js';
import { AwsChunkedError } from './aws-chunked-decoder.js';
import { escapeXml } from './xml-escape.js';

/** An S3 error: the code clients switch on (`NoSuchKey`, `SignatureDoesNotMatch`, …) and its status. */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}


/** The XML body S3 answers errors with. */
export function s3ErrorXml(error: S3Error, resource: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>`
    + `<Resource>${escapeXml(resource)}</Resource><RequestId>${escapeXml(requestId)}</RequestId></Error>`;
}

/** S3's code and status for an error from anywhere below the S3 surface. */
export function toS3Error(error: unknown): S3Error {
  if (error instanceof S3Error) return error;
  if (error instanceof AwsChunkedError) {
    return error.kind === 'signature'
      ? new S3Error('SignatureDoesNotMatch', 403, error.message)
      : new S3Error('IncompleteBody', 400, error.message);
  }
  if (error instanceof NoSuchBucketError) return new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
  if (error instanceof NoSuchUploadError) return new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  if (error instanceof MultipartPartsError) return new S3Error(error.reason, 400, error.message);
  if (error instanceof ShardstoreError) {
    const [code, status] = CODES[error.code];
    return new S3Error(code, status, error.message);
  }
  const fastifyStatus = (error as { statusCode?: number }).statusCode;
  if (fastifyStatus !== undefined && fastifyStatus < 500) return new S3Error('InvalidRequest', fastifyStatus, (error as Error).message);
  return new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.');
}

const CODES: Record<ErrorCode, [string, number]> = {
  INVALID_KEY: ['KeyTooLongError', 400],
  INVALID_REQUEST: ['InvalidRequest', 400],
  INVALID_RANGE: ['InvalidRange', 416],
  NOT_FOUND: ['NoSuchKey', 404],
  KEY_EXISTS: ['OperationAborted', 409],
  NOT_ENOUGH_NODES: ['ServiceUnavailable', 503],
  SHARD_UNAVAILABLE: ['ServiceUnavailable', 503],
  CHECKSUM_MISMATCH: ['ServiceUnavailable', 503],
  UPLOAD_ABORTED: ['RequestTimeout', 400],
  UPLOAD_INCOMPLETE: ['IncompleteBody', 400],
  UNAUTHORIZED: ['AccessDenied', 403],
  FORBIDDEN: ['AccessDenied', 403],
  GONE: ['NoSuchKey', 404],
  INSUFFICIENT_STORAGE: ['ServiceUnavailable', 503],
  NODE_PROTOCOL: ['InternalError', 500],
  METHOD_NOT_ALLOWED: ['MethodNotAllowed', 405],
  OBJECT_TOO_LARGE: ['EntityTooLarge', 400],
  SCHEMA_TOO_OLD: ['InternalError', 500],
  CONFIG_INVALID: ['InternalError', 500],
  METADATA_UNAVAILABLE: ['ServiceUnavailable', 503],
  JOB_BUSY: ['OperationAborted', 409],
  LEASE_LOST: ['OperationAborted', 409],
  NODE_IN_USE: ['OperationAborted', 409],
};
