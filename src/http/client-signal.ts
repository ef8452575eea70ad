import type { FastifyRequest, FastifyReply } from 'fastify';

/**
 * An AbortSignal that fires when the client goes away before the exchange is complete: the request
 * socket closes before the body ended, or the response is closed before it was fully written.
 */
export function clientSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const gone = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  };
  request.raw.once('close', () => {
    if (!request.raw.complete) gone();
  });
  reply.raw.once('close', gone);
  return controller.signal;
}
