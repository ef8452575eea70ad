import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Where a child's log stood when it was started, so its own error can be shown from that point on. */
export function logOffset(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The first lines that explain why a child failed, from its log after `offset`: its plain lines (what it
 * wrote to stderr), else its error records (pino JSON, as `message: cause`), else its last lines.
 */
export function childErrorLines(path: string, offset: number, max = 6): string[] {
  const lines = readFrom(path, offset).split('\n').filter((line) => line.trim().length > 0);
  const plain: string[] = [];
  const errors: string[] = [];
  for (const line of lines) {
    const record = parseRecord(line);
    if (record === undefined) plain.push(line);
    else if (record.level >= 50) errors.push(record.err ? `${record.msg}: ${record.err}` : record.msg);
  }
  // A process that fails to start says why on stderr in one plain line; its log records are the fallback.
  const telling = plain.length > 0 ? plain : errors.length > 0 ? errors : lines.slice(-max);
  return telling.slice(0, max);
}

function readFrom(path: string, offset: number): string {
  const limit = 64 * 1024;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const buffer = Buffer.alloc(limit);
    const read = readSync(fd, buffer, 0, limit, offset);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function parseRecord(line: string): { level: number; msg: string; err?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
    if (typeof record.level !== 'number') return undefined;
    const err = typeof record.err?.message === 'string' ? record.err.message : undefined;
    return { level: record.level, msg: String(record.msg ?? ''), ...(err === undefined ? {} : { err }) };
  } catch {
    return undefined;
  }
}
