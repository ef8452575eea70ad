/** Longest stored file name, in bytes of UTF-8 (what most filesystems allow). */
const MAX_NAME_BYTES = 255;

/**
 * A client-supplied file name made safe to store and to send back in Content-Disposition: only the last
 * path component, no control characters, at most 255 bytes. Undefined when nothing usable is left.
 */
export function cleanFileName(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  // eslint-disable-next-line no-control-regex
  let name = raw.replace(/[\u0000-\u001f\u007f]/g, '').split(/[/\\]/).pop()!.trim();
  if (name === '.' || name === '..') return undefined;
  while (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) name = [...name].slice(0, -1).join('');
  return name.length > 0 ? name : undefined;
}
