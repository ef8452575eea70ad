import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { call, CliFailure, EXIT, failureFrom, keyPath, readText, type ClientOptions } from './gateway-client.js';
import { transferProgress } from './transfer-progress.js';

/** Stores a local file at a path-API key; exit 1 if the key exists (write-once). Returns the gateway's JSON. */
export async function uploadFile(options: ClientOptions, key: string, file: string): Promise<string> {
  const info = await stat(file).catch((error: Error) => {
    throw new CliFailure(`cannot read ${file}: ${error.message}`, EXIT.ERROR);
  });
  if (!info.isFile()) throw new CliFailure(`${file} is not a regular file`, EXIT.ERROR);
  const progress = transferProgress(`put ${key}`, info.size);
  const body = createReadStream(file).pipe(progress.meter);
  try {
    const response = await call(options, 'POST', keyPath(key), { stream: body, length: info.size });
    if (response.statusCode === 405) throw await failureFrom(response, EXIT.NO);
    if (response.statusCode !== 201) throw await failureFrom(response);
    return (await readText(response)).trim();
  } finally {
    progress.done();
  }
}

/**
 * Writes the object at a key to a file (through a temporary name, renamed when complete and of the
 * announced length) or to stdout with `-`; exit 1 if there is no such object.
 */
export async function downloadFile(options: ClientOptions, key: string, file: string): Promise<void> {
  const response = await call(options, 'GET', keyPath(key));
  if (response.statusCode === 404) throw await failureFrom(response, EXIT.NO);
  if (response.statusCode !== 200) throw await failureFrom(response);
  const expected = Number(response.headers['content-length']);
  const progress = transferProgress(`get ${key}`, Number.isFinite(expected) ? expected : undefined);
  let received = 0;
  response.on('data', (chunk: Buffer) => (received += chunk.length));
  try {
    if (file === '-') {
      await pipeline(response, progress.meter, process.stdout);
      return;
    }
    const partial = `${file}.partial-${process.pid}`;
    try {
      await pipeline(response, progress.meter, createWriteStream(partial));
      if (Number.isFinite(expected) && received !== expected) {
        throw new CliFailure(`the download ended after ${received} of ${expected} bytes`, EXIT.ERROR);
      }
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error instanceof CliFailure ? error : new CliFailure(`writing ${file}: ${(error as Error).message}`, EXIT.ERROR);
    }
  } finally {
    progress.done();
  }
}
