import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidRequestError, UploadAbortedError } from '../core/errors.js';

export interface FormFile {
  /** The file's bytes, streamed as they arrive: never buffered whole. */
  readonly stream: Readable;
  readonly filename: string | undefined;
  readonly mimeType: string | undefined;
}

export const isMultipart = (contentType: string | undefined): boolean => /^multipart\/form-data\b/i.test(contentType ?? '');

/** A form's file and the fields that came before it (by lower-case name; later ones are not read). */
export interface FormUpload {
  readonly fields: ReadonlyMap<string, string>;
  readonly file: FormFile;
}

/**
 * The first file field of a `multipart/form-data` request, as a stream (busboy parses the form as it
 * arrives), with the fields sent before it. Rejects when the form holds no file; the stream fails if the
 * request ends or the client goes away before the file's closing boundary.
 */
export function formUpload(request: IncomingMessage, signal: AbortSignal): Promise<FormUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: 100, fieldSize: 64 * 1024, parts: 200 }, defParamCharset: 'utf8' });
    } catch (error) {
      reject(new InvalidRequestError(`malformed multipart/form-data request: ${(error as Error).message}`));
      return;
    }
    const fields = new Map<string, string>();
    let file: Readable | undefined;
    parser.on('field', (name, value) => {
      if (!file) fields.set(name.toLowerCase(), value);
    });
    parser.on('file', (_field, stream, info) => {
      file = stream;
      signal.addEventListener('abort', () => stream.destroy(new UploadAbortedError('the client went away')), { once: true });
      // Browsers (the HTML form encoding algorithm) send a quote in a file name as %22.
      resolve({ fields, file: { stream, filename: info.filename?.replace(/%22/g, '"'), mimeType: info.mimeType } });
    });
    parser.on('error', (error: Error) => {
      const failure = new InvalidRequestError(`malformed multipart/form-data body: ${error.message}`);
      if (file) file.destroy(failure);
      else reject(failure);
    });
    parser.on('close', () => {
      if (!file) reject(new InvalidRequestError('the form has no file field'));
    });
    request.pipe(parser);
  });
}

/** The first file field of a `multipart/form-data` request, as a stream (see formUpload). */
export async function firstFormFile(request: IncomingMessage, signal: AbortSignal): Promise<FormFile> {
  return (await formUpload(request, signal)).file;
}
