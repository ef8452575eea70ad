import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../observability/logger.js';
import { createHttpServer } from './create-server.js';
import { sendError } from './error-map.js';
import { adminScope, bearerScope, browseScope, browserFor } from './auth-scopes.js';
import { CONSOLE_HEADER } from './admin-auth.js';
import { issueKeySession, issueSession, SESSION_COOKIE } from './console-session.js';

const ADMIN = 'admin-token-1234';
const METRICS = 'metrics-token-1234';

async function server() {
  const app = createHttpServer(createLogger('test', 'silent'), 30_000);
  app.setErrorHandler(sendError);
  await app.register(async (scope) => {
    adminScope(scope, ADMIN);
    scope.get('/admin', async () => 'admin ok');
  });
  await app.register(async (scope) => {
    bearerScope(scope, [ADMIN, METRICS], 'admin or metrics token', ADMIN);
    scope.get('/metrics', async () => 'metrics ok');
  });
  await app.register(async (scope) => {
    browseScope(scope, ADMIN, async (key) => (key === 'AKEY' ? 'a-secret-key' : undefined));
    scope.get('/browse', async (request) => browserFor(request, (request.query as { s3?: string }).s3 === '1'));
    scope.get('/download', { config: { cookieAlone: true } }, async (request) => browserFor(request, true));
  });
  app.get('/public', async () => 'public ok');
  return app;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('auth scopes: each group of routes has its one check, and routes outside every scope have none', async () => {
  const app = await server();
  try {
    const status = async (url: string, headers: Record<string, string> = {}) => (await app.inject({ url, headers })).statusCode;
    assert.equal(await status('/public'), 200);
    assert.equal(await status('/admin'), 401);
    assert.equal(await status('/admin', bearer('wrong-token-000')), 401);
    assert.equal(await status('/admin', bearer(METRICS)), 401, 'the metrics token opens the metrics alone');
    assert.equal(await status('/admin', bearer(ADMIN)), 200);
    const session = `${SESSION_COOKIE}=${issueSession(ADMIN, Date.now())}`;
    assert.equal(await status('/admin', { cookie: session }), 401, 'a console session needs the console header');
    assert.equal(await status('/admin', { cookie: session, [CONSOLE_HEADER]: '1' }), 200);

    assert.equal(await status('/metrics'), 401);
    assert.equal(await status('/metrics', bearer(METRICS)), 200);
    assert.equal(await status('/metrics', bearer(ADMIN)), 200);
    assert.equal(await status('/metrics', { cookie: session, [CONSOLE_HEADER]: '1' }), 200);
    const refused = await app.inject({ url: '/metrics' });
    assert.match(refused.json<{ message: string }>().message, /admin or metrics token/);
  } finally {
    await app.close();
  }
});

test('auth scopes: the browse scope knows the admin from an S3 key\'s session, and a download link needs the cookie alone', async () => {
  const app = await server();
  try {
    const keySession = `${SESSION_COOKIE}=${issueKeySession('AKEY', 'a-secret-key', Date.now())}`;
    const asKey = { cookie: keySession, [CONSOLE_HEADER]: '1' };
    assert.deepEqual((await app.inject({ url: '/browse?s3=1', headers: asKey })).json(), { role: 's3', accessKey: 'AKEY' });
    assert.equal((await app.inject({ url: '/browse?s3=0', headers: asKey })).statusCode, 401, 'an S3 key reaches S3 buckets only');
    assert.deepEqual((await app.inject({ url: '/browse?s3=0', headers: bearer(ADMIN) })).json(), { role: 'admin' });
    assert.equal((await app.inject({ url: '/browse?s3=1', headers: { cookie: keySession } })).statusCode, 401, 'without the console header');
    assert.equal((await app.inject({ url: '/download', headers: { cookie: keySession } })).statusCode, 200, 'a plain link with the cookie');
    const forged = `${SESSION_COOKIE}=${issueKeySession('AKEY', 'not-the-secret', Date.now())}`;
    assert.equal((await app.inject({ url: '/download', headers: { cookie: forged } })).statusCode, 401);
  } finally {
    await app.close();
  }
});
