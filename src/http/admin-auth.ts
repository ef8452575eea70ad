import type { FastifyRequest } from 'fastify';
import { hasBearer } from '../core/bearer.js';
import { SESSION_COOKIE, cookieValue, isValidSession } from './console-session.js';
import { UnauthorizedError } from '../core/errors.js';

/** The header the web console sends with every request it makes; a form on another site cannot. */
export const CONSOLE_HEADER = 'x-shardstore-console';

/**
 * Whether the request comes from a signed-in web console: its session cookie and its own header (or, for
 * `cookieAlone`, the cookie only: downloads by a plain link, which read and change nothing).
 */
export function hasConsoleSession(request: FastifyRequest, adminToken: string, cookieAlone = false): boolean {
  // The cookie is SameSite=Strict already; the header keeps even a same-site form from using it.
  if (!cookieAlone && request.headers[CONSOLE_HEADER] !== '1') return false;
  return isValidSession(adminToken, cookieValue(request.headers.cookie, SESSION_COOKIE), Date.now());
}

/** Throws UnauthorizedError unless the request carries the admin token or a web console session. */
export function requireAdmin(request: FastifyRequest, adminToken: string): void {
  if (hasBearer(request.headers.authorization, adminToken) || hasConsoleSession(request, adminToken)) return;
  throw new UnauthorizedError("this endpoint needs the admin token as 'Authorization: Bearer <token>'");
}
