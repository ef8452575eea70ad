import type { FastifyRequest } from 'fastify';

/** The request body as chunks, counting the bytes for the access and action logs. */
export async function* countedBody(request: FastifyRequest, body: AsyncIterable<Uint8Array> = request.raw): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    request.transferBytes += chunk.length;
    yield chunk;
  }
}
