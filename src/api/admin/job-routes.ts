import type { FastifyInstance } from 'fastify';
import { MethodNotAllowedError } from '../../core/errors.js';
import { acceptRawBodies } from '../../http/raw-body.js';

/** A background job as the admin API drives it. */
export interface JobControl {
  /**
   * Starts one pass now and gives the running pass (which resolves with its summary); rejects at once with
   * JobBusyError (409) when another gateway's pass of the job is running.
   */
  begin(): Promise<{ pass: Promise<unknown> }>;
  /** What it is doing: running or not, the last pass's summary. */
  status(): unknown;
  /** Whether `POST` returns at once (202) instead of waiting for the pass (long jobs). */
  readonly background?: boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * `GET /_<job>` (status) and `POST /_<job>` (a pass now) for the cleaner (`_gc`), deduplication, the
 * repairer and the rebalancer; every other method is a 405. Registered in the admin scope, whose token
 * check comes first, so that an unauthenticated caller learns nothing about the endpoints.
 */
export function registerJobRoutes(app: FastifyInstance, jobs: Record<string, JobControl>): void {
  acceptRawBodies(app);
  for (const [path, job] of Object.entries(jobs)) {
    app.get(path, async () => job.status());
    app.post(path, async (_request, reply) => {
      const { pass } = await job.begin();
      if (!job.background) return await pass;
      pass.catch(() => undefined); // the outcome is in the job's status and the log
      return reply.code(202).send(job.status());
    });
    refuseOtherMethods(app, path, ['GET', 'POST']);
  }
}

/** Answers the methods a path does not serve with 405 and its `Allow` (after the scope's authorisation). */
export function refuseOtherMethods(app: FastifyInstance, path: string, allowed: readonly string[]): void {
  const others = METHODS.filter((m) => !allowed.includes(m) && !(m === 'HEAD' && allowed.includes('GET')));
  app.route({
    method: others,
    url: path,
    handler: async (request) => {
      throw new MethodNotAllowedError(request.method, path, allowed);
    },
  });
}
