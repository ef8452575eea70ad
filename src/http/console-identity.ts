import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE, cookieValue, isValidKeySession, keySessionAccessKey } from './console-session.js';
import { hasBearer } from '../core/bearer.js';
import { CONSOLE_HEADER, hasConsoleSession } from './admin-auth.js';

/** Looks up an S3 access key's secret (undefined when there is no such key). */
export type SecretOf = (accessKey: string) => Promise<string | undefined>;

/** Who is asking through the object browser: the admin (token or console session) or a console session of an S3 key. */
export type BrowseIdentity = { role: 'admin' } | { role: 's3'; accessKey: string };

export async function browseIdentity(request: FastifyRequest, adminToken: string, secretOf: SecretOf, cookieAlone = false): Promise<BrowseIdentity | undefined> {
  if (hasBearer(request.headers.authorization, adminToken) || hasConsoleSession(request, adminToken, cookieAlone)) return { role: 'admin' };
  if (!cookieAlone && request.headers[CONSOLE_HEADER] !== '1') return undefined;
  const value = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const accessKey = keySessionAccessKey(value);
  if (!accessKey) return undefined;
  const secret = await secretOf(accessKey);
  return secret !== undefined && isValidKeySession(secret, value, Date.now()) ? { role: 's3', accessKey } : undefined;
}
