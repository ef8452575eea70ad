import type { FastifyInstance } from 'fastify';

/**
 * Leaves request bodies unread, whatever their content type, so handlers stream `request.raw`
 * themselves; no parser may buffer an upload. Applies to the plugin scope it is called in.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  // An empty Content-Type (which S3 accepts) is no content type, not a malformed one: after onRequest, so a
  // signature over the header as sent still verifies.
  app.addHook('preParsing', async (request) => {
    if (request.headers['content-type'] === '') delete request.headers['content-type'];
  });
}

/** Reads a small body whole, refusing anything larger than `limit` bytes. */
export async function readSmallBody(body: AsyncIterable<Uint8Array>, limit = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error(`the request body is larger than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Reads a small JSON body (admin and node requests), refusing anything larger than `limit` bytes. */
export async function readJsonBody(body: AsyncIterable<Uint8Array>, limit = 64 * 1024): Promise<unknown> {
  return JSON.parse((await readSmallBody(body, limit)).toString('utf8'));
}
