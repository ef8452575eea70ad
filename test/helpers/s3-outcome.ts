import assert from 'node:assert/strict';
import { S3ServiceException } from '@aws-sdk/client-s3';

/** The S3 error a call fails with as `status Name` (e.g. `403 AccessDenied`), or 'ok'. */
export async function s3Outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    return `${error.$metadata.httpStatusCode} ${error.name}`;
  }
}
