const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node's HTTP parser reads header bytes as Latin-1, so a client that sends a raw UTF-8 file name
 * (`filename="отчёт.pdf"`, as curl and many scripts do) arrives as mojibake (`Ð¾ÑÑÑÑ.pdf`). Bytes that form
 * valid UTF-8 with at least one multi-byte sequence are taken as UTF-8 — a Latin-1 text almost never is
 * valid UTF-8 by accident — and anything else is left as the client sent it.
 */
export function headerText(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}
