/**
 * S3 naming rules. Bucket names follow the rules of general purpose buckets (3–63 characters of lower-case
 * letters, digits, dots and hyphens, beginning and ending with a letter or digit, no `..`, not an IP
 * address), which also keeps them from starting with `_`, the prefix of Shardstore's own namespaces.
 */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'bucket names are 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'bucket names use lower-case letters, digits, dots and hyphens, and begin and end with a letter or digit';
  }
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return 'bucket names have no two adjacent dots, and no dot next to a hyphen';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'bucket names are not formatted as IP addresses';
  if (name.startsWith('xn--') || name.endsWith('-s3alias')) return 'bucket names do not start with xn-- or end with -s3alias';
  return null;
}

/** The longest key S3 accepts, in UTF-8 bytes. */
export const MAX_S3_KEY_BYTES = 1024;

/** S3 keys: 1 to 1024 bytes of UTF-8 (any characters but NUL, which no file system or URL carries well). */
export function s3KeyProblem(key: string): string | null {
  if (key.length === 0) return 'the object key is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_S3_KEY_BYTES) return `the object key is longer than ${MAX_S3_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'the object key contains a NUL character';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) return 'the object key is not valid UTF-8';
  return null;
}
