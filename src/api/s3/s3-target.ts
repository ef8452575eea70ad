import { S3Error } from './s3-error.js';

/** What an S3 request addresses: the service (no bucket), a bucket, or an object. */
export interface S3Target {
  readonly bucket: string | null;
  readonly key: string | null;
}

const decode = (raw: string): string => {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', 400, 'Couldn\'t parse the specified URI: it is not valid percent-encoded UTF-8.');
  }
};

/**
 * Resolves path-style (`/bucket/key`) and virtual-hosted-style (`bucket.<domain>/key`) addressing. Without
 * a domain only path style is understood. The key keeps every character of the path after the bucket,
 * slashes included (`/b/a//c/` is key `a//c/`).
 */
export function s3Target(host: string | undefined, rawPath: string, domain: string | undefined): S3Target {
  const path = rawPath.split('?')[0] ?? '/';
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain && hostname.endsWith(`.${domain}`)) {
    const bucket = hostname.slice(0, -(domain.length + 1));
    const key = decode(path.replace(/^\//, ''));
    return { bucket, key: key === '' ? null : key };
  }
  const rest = path.replace(/^\//, '');
  if (rest === '') return { bucket: null, key: null };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decode(rest), key: null };
  const key = decode(rest.slice(slash + 1));
  return { bucket: decode(rest.slice(0, slash)), key: key === '' ? null : key };
}
