const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain; charset=utf-8', html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8', csv: 'text/csv; charset=utf-8', js: 'text/javascript; charset=utf-8',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip',
  gz: 'application/gzip', tar: 'application/x-tar', wasm: 'application/wasm',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', ico: 'image/x-icon', avif: 'image/avif',
  mp3: 'audio/mpeg', ogg: 'audio/ogg', wav: 'audio/wav', mp4: 'video/mp4', webm: 'video/webm',
  mov: 'video/quicktime', mkv: 'video/x-matroska',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The content type to store for an upload: the client's, unless it is absent or the form encoding
 * that `curl --data-binary` sends by default, in which case the key's extension decides.
 */
export function contentTypeFor(key: string, declared: string | undefined): string {
  const clean = declared?.trim();
  if (clean && !/^application\/x-www-form-urlencoded\b/i.test(clean)) return clean;
  const dot = key.lastIndexOf('.');
  const ext = dot > key.lastIndexOf('/') ? key.slice(dot + 1).toLowerCase() : '';
  return BY_EXTENSION[ext] ?? DEFAULT_CONTENT_TYPE;
}
