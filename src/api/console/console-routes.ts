import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fileURLToPath } from 'node:url';
import { hasBearer, bearer } from '../../core/bearer.js';
import { SESSION_COOKIE, SESSION_TTL_MS, issueKeySession, issueSession } from '../../http/console-session.js';
import { InvalidRequestError, UnauthorizedError } from '../../core/errors.js';
import { acceptRawBodies, readSmallBody } from '../../http/raw-body.js';
import { browseIdentity, type SecretOf } from '../../http/console-identity.js';
import { loadConsoleAssets, type ConsoleAsset } from './console-assets.js';
import { signInPage } from './sign-in-page.js';
import { FAVICON } from './favicon.js';

// Compiled to dist/src/api/console/; `vite build` writes the console to dist/console/.
const BUILT_CONSOLE = fileURLToPath(new URL('../../../console/', import.meta.url));

/** Nothing from elsewhere: the console's assets are all served by the gateway, and it runs in no frame. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The web console at `/_console/`: a sign-in form for the admin token, which sets a signed, HttpOnly,
 * SameSite=Strict session cookie; the console's page and assets only with that cookie. The console calls
 * the admin API (`/_nodes`, `/_log`, the jobs, `/_metrics`, `/_objects`) with the cookie and its own header
 * (see http/admin-auth.ts).
 */
export function registerConsoleRoutes(app: FastifyInstance, adminToken: string, secretOf: SecretOf, dir = BUILT_CONSOLE): void {
  acceptRawBodies(app);
  const assets = loadConsoleAssets(dir);
  // Page and asset loads cannot send the console's header: the session cookie alone decides.
  const signedIn = async (request: FastifyRequest) => (await browseIdentity(request, adminToken, secretOf, true)) !== undefined;
  const sessionCookie = (request: FastifyRequest, value: string) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : ''}`;
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).type('text/html; charset=utf-8').send(html);
  const send = (reply: FastifyReply, asset: ConsoleAsset, cacheControl: string) =>
    reply.headers({ ...SECURITY_HEADERS, 'cache-control': cacheControl }).type(asset.type).send(asset.body);

  app.get('/_console', async (_request, reply) => reply.redirect('/_console/', 301));

  app.get('/_console/', async (request, reply) => {
    if (!(await signedIn(request))) return page(reply, 200, signInPage());
    const index = assets.get('index.html');
    if (!index) return page(reply, 503, '<!doctype html><title>Shardstore console</title><p>The console is not built: run <code>npm run build</code>.</p>');
    return send(reply, index, 'no-store');
  });

  app.post('/_console/session', async (request, reply) => {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readSmallBody(request.raw, 4096)).toString('utf8'));
    } catch (error) {
      throw new InvalidRequestError((error as Error).message);
    }
    const accessKey = form.get('access_key');
    if (accessKey) {
      const secret = /^[\w-]{1,128}$/.test(accessKey) ? await secretOf(accessKey) : undefined;
      const offered = form.get('secret_key') ?? '';
      // Compared as bearer secrets are: digests of both sides, in constant time.
      if (secret === undefined || !hasBearer(bearer(offered), secret)) return page(reply, 401, signInPage('That access key and secret key do not match.'));
      return reply.header('set-cookie', sessionCookie(request, issueKeySession(accessKey, secret, Date.now()))).redirect('/_console/#objects', 303);
    }
    const token = form.get('token');
    if (!token || !hasBearer(bearer(token), adminToken)) return page(reply, 401, signInPage('That is not the admin token.'));
    return reply.header('set-cookie', sessionCookie(request, issueSession(adminToken, Date.now()))).redirect('/_console/', 303);
  });

  // What the page may show: everything for the admin, the objects of S3 buckets for an S3 key.
  app.get('/_console/whoami', async (request) => {
    const identity = await browseIdentity(request, adminToken, secretOf);
    if (!identity) throw new UnauthorizedError('sign in to the console at /_console/ first');
    return identity;
  });

  app.post('/_console/sign-out', async (_request, reply) =>
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).redirect('/_console/', 303),
  );

  app.get('/_console/favicon.svg', async (_request, reply) => reply.headers({ 'cache-control': 'public, max-age=86400' }).type(FAVICON.type).send(FAVICON.body));

  app.get('/_console/*', async (request, reply) => {
    if (!(await signedIn(request))) throw new UnauthorizedError('sign in to the console at /_console/ first');
    // The router has already refused a malformed escape with 400.
    const path = decodeURIComponent(request.url.split('?')[0]!.slice('/_console/'.length));
    const asset = path === 'index.html' ? undefined : assets.get(path);
    if (!asset) return reply.code(404).send({ error: 'NOT_FOUND', message: `no console file '${path}'` });
    // Vite names assets by their content's hash.
    return send(reply, asset, path.startsWith('assets/') ? 'private, max-age=31536000, immutable' : 'no-store');
  });
}
