import type { FastifyRequest, FastifyReply } from 'fastify';

/**
 * An AbortSignal that fires when the client's connection closes before the response was fully
 * written: the client went away mid-upload or mid-download. (The request stream's own 'close' is no
 * use: it also fires when a handler stops reading the body.)
 */
export function clientSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const socket = request.raw.socket;
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  };
  if (socket.destroyed) onClose();
  else {
    socket.once('close', onClose);
    // Keep-alive sockets outlive the request: drop the listener once this exchange is over.
    reply.raw.once('close', () => socket.off('close', onClose));
  }
  return controller.signal;
}
