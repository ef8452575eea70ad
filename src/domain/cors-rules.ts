/** One rule of a bucket's CORS configuration (S3's CORSRule). */
export interface CorsRule {
  readonly id?: string;
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

/** The methods a CORS rule may allow, as on S3. */
export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
/** S3's limit on rules per bucket. */
export const MAX_CORS_RULES = 100;

/** Why a CORS configuration is refused, or undefined when it is acceptable. */
export function corsRulesProblem(rules: readonly CorsRule[]): string | undefined {
  if (rules.length === 0) return 'a CORS configuration needs at least one CORSRule';
  if (rules.length > MAX_CORS_RULES) return `a CORS configuration has at most ${MAX_CORS_RULES} rules`;
  for (const [i, rule] of rules.entries()) {
    const where = `CORSRule ${i + 1}`;
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) return `${where} needs an AllowedOrigin and an AllowedMethod`;
    const method = rule.allowedMethods.find((m) => !(CORS_METHODS as readonly string[]).includes(m));
    if (method !== undefined) return `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`;
    const origin = rule.allowedOrigins.find((o) => o.split('*').length > 2 || o === '');
    if (origin !== undefined) return `AllowedOrigin "${origin}" can not have more than one wildcard.`;
    const header = rule.allowedHeaders.find((h) => h.split('*').length > 2 || h === '');
    if (header !== undefined) return `AllowedHeader "${header}" can not have more than one wildcard.`;
    if (rule.maxAgeSeconds !== undefined && (!Number.isInteger(rule.maxAgeSeconds) || rule.maxAgeSeconds < 0)) return `${where}: MaxAgeSeconds must be a whole number of seconds`;
  }
  return undefined;
}

/** Matches a pattern with at most one `*` (any run of characters) against a value. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star === -1) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/**
 * The first rule that allows a request from `origin` with `method` sending `headers` (the preflight's
 * Access-Control-Request-Headers; none for an actual request), as S3 evaluates them: origins and methods
 * exactly (an origin pattern may hold one `*`), header names without regard to case.
 */
export function matchCorsRule(rules: readonly CorsRule[], origin: string, method: string, headers: readonly string[] = []): CorsRule | undefined {
  return rules.find((rule) =>
    rule.allowedOrigins.some((o) => wildcardMatch(o, origin))
    && rule.allowedMethods.includes(method)
    && headers.every((h) => rule.allowedHeaders.some((a) => wildcardMatch(a.toLowerCase(), h.toLowerCase()))));
}

/** The response headers a matched rule gives a request from `origin` (a preflight adds Allow-Headers itself). */
export function corsHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*');
  return {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(anyOrigin ? {} : { 'access-control-allow-credentials': 'true' }),
    ...(rule.exposeHeaders.length ? { 'access-control-expose-headers': rule.exposeHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}
