import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { hasBearer } from '../core/bearer.js';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import { hasConsoleSession, requireAdmin } from './admin-auth.js';
import { browseIdentity, type BrowseIdentity, type SecretOf } from './console-identity.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is browsing, set by the browse scope's hook before any of its handlers runs. */
    browser?: BrowseIdentity;
  }
  interface FastifyContextConfig {
    /** A browse route a plain link may reach with the session cookie alone (downloads: they change nothing). */
    cookieAlone?: boolean;
  }
}

/**
 * Who may call a group of routes, decided once per group by a hook, so that no handler carries its own
 * check. Each function adds an `onRequest` hook to the encapsulated Fastify scope it is given; routes
 * registered in that scope (and only those) are covered, their 405 answers included.
 */

/** The admin token (`Authorization: Bearer`) or a signed-in web console. */
export function adminScope(app: FastifyInstance, adminToken: string): void {
  app.addHook('onRequest', async (request) => requireAdmin(request, adminToken));
}

/** Any of the bearer `tokens`; with `consoleToken`, a console session signed with it too (the metrics). */
export function bearerScope(app: FastifyInstance, tokens: readonly string[], what: string, consoleToken?: string): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (tokens.some((t) => hasBearer(request.headers.authorization, t))) return;
    if (consoleToken !== undefined && hasConsoleSession(request, consoleToken)) return;
    throw new UnauthorizedError(`this endpoint needs the ${what} as 'Authorization: Bearer <token>'`);
  });
}

/**
 * A peer of the cluster: the connection came with a client certificate that the cluster CA signed (the
 * listener asked for one and checked it, without refusing a connection that had none).
 */
export function peerCertificateScope(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as Partial<TLSSocket>;
    if (socket.encrypted && socket.authorized) return;
    const shown = socket.encrypted === true && Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
    const why = !socket.encrypted ? 'it came over plain HTTP' : !shown ? 'it showed no certificate' : `its certificate was not accepted (${String(socket.authorizationError)})`;
    throw new ForbiddenError(`this cluster speaks TLS: a node must connect with a certificate signed by the cluster CA (--tls-cert, --tls-key, --tls-ca), and ${why}`);
  });
}

/**
 * The object browser: the admin (token or console session) or a console session of an S3 access key,
 * which its handlers then keep to S3 buckets (`request.browser` says which).
 */
export function browseScope(app: FastifyInstance, adminToken: string, secretOf: SecretOf): void {
  app.addHook('onRequest', async (request) => {
    const identity = await browseIdentity(request, adminToken, secretOf, request.routeOptions.config.cookieAlone ?? false);
    if (!identity) throw new UnauthorizedError("this endpoint needs the admin token as 'Authorization: Bearer <token>'");
    request.browser = identity;
  });
}

/** The browsing identity, kept to S3 buckets when it is an S3 key's (`s3Bucket` false: a store namespace). */
export function browserFor(request: FastifyRequest, s3Bucket: boolean | undefined): BrowseIdentity {
  const identity = request.browser;
  if (!identity) throw new UnauthorizedError("this endpoint needs the admin token as 'Authorization: Bearer <token>'");
  if (identity.role === 's3' && s3Bucket === false) throw new UnauthorizedError('an S3 access key reaches S3 buckets only');
  return identity;
}
