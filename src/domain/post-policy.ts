/**
 * The policy of a browser-based upload (S3's POST policy): a base64 JSON document, signed by an access
 * key, that says until when and with which form fields an HTML form may upload.
 */
export interface PostPolicy {
  /** Milliseconds since the epoch; the form is refused after it. */
  readonly expiration: number;
  readonly conditions: readonly PolicyCondition[];
}

export type PolicyCondition =
  | { readonly kind: 'eq'; readonly field: string; readonly value: string }
  | { readonly kind: 'starts-with'; readonly field: string; readonly prefix: string }
  | { readonly kind: 'content-length-range'; readonly min: number; readonly max: number };

/** Form fields no condition needs to name (the signature itself, the file and the policy, `x-ignore-*`). */
const UNCONDITIONED = new Set(['x-amz-signature', 'file', 'policy']);

/** A condition's field name: `$Content-Type` → `content-type` (form field names ignore case). */
const fieldName = (value: unknown): string | undefined =>
  typeof value === 'string' && value.startsWith('$') && value.length > 1 ? value.slice(1).toLowerCase() : undefined;

const wholeNumber = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

function parseCondition(raw: unknown): PolicyCondition | string {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const entries = Object.entries(raw);
    const [name, value] = entries[0] ?? [];
    if (entries.length !== 1 || typeof value !== 'string') return `invalid condition ${JSON.stringify(raw)}: an object condition names one field and its value`;
    return { kind: 'eq', field: name!.toLowerCase(), value };
  }
  if (!Array.isArray(raw) || raw.length !== 3) return `invalid condition ${JSON.stringify(raw)}`;
  const [op, a, b] = raw as unknown[];
  if (typeof op === 'string' && op.toLowerCase() === 'content-length-range') {
    const min = wholeNumber(a);
    const max = wholeNumber(b);
    if (min === undefined || max === undefined || min > max) return `invalid content-length-range ${JSON.stringify(raw)}`;
    return { kind: 'content-length-range', min, max };
  }
  const field = fieldName(a);
  if (field === undefined || typeof b !== 'string') return `invalid condition ${JSON.stringify(raw)}`;
  if (op === 'eq') return { kind: 'eq', field, value: b };
  if (op === 'starts-with') return { kind: 'starts-with', field, prefix: b };
  return `invalid condition ${JSON.stringify(raw)}: the operators are eq, starts-with and content-length-range`;
}

/** The policy of a form's `policy` field, or why it is not one. */
export function parsePostPolicy(base64: string): PostPolicy | string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return 'the policy is not base64-encoded JSON';
  }
  const { expiration, conditions } = (doc ?? {}) as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expires)) return 'the policy needs an "expiration" date (ISO 8601)';
  if (!Array.isArray(conditions)) return 'the policy needs a "conditions" list';
  const parsed: PolicyCondition[] = [];
  for (const raw of conditions) {
    const condition = parseCondition(raw);
    if (typeof condition === 'string') return condition;
    parsed.push(condition);
  }
  return { expiration: expires, conditions: parsed };
}

const shown = (c: PolicyCondition): string =>
  c.kind === 'content-length-range' ? JSON.stringify([c.kind, c.min, c.max]) : JSON.stringify([c.kind, `$${c.field}`, c.kind === 'eq' ? c.value : c.prefix]);

/**
 * Why the form's fields break the policy (S3's wording after "Invalid according to Policy: "), or
 * undefined when they keep it. `fields` holds the submitted fields by lower-case name; `implied` the
 * values a condition may check that the form need not send (the bucket, the key after `${filename}`).
 */
export function policyProblem(policy: PostPolicy, fields: ReadonlyMap<string, string>, implied: ReadonlyMap<string, string>, now: number): string | undefined {
  if (now > policy.expiration) return 'Policy expired.';
  const conditioned = new Set<string>();
  for (const c of policy.conditions) {
    if (c.kind === 'content-length-range') continue;
    conditioned.add(c.field);
    const value = implied.get(c.field) ?? fields.get(c.field);
    const holds = value !== undefined && (c.kind === 'eq' ? value === c.value : value.startsWith(c.prefix));
    if (!holds) return `Policy Condition failed: ${shown(c)}`;
  }
  const extra = [...fields.keys()].filter((f) => !UNCONDITIONED.has(f) && !f.startsWith('x-ignore-') && !conditioned.has(f));
  if (extra.length) return `Extra input fields: ${extra.join(', ')}`;
  return undefined;
}

/** The sizes the policy allows the file, if it bounds them. */
export function lengthRange(policy: PostPolicy): { min: number; max: number } | undefined {
  const ranges = policy.conditions.filter((c) => c.kind === 'content-length-range');
  if (ranges.length === 0) return undefined;
  return { min: Math.max(...ranges.map((r) => r.min)), max: Math.min(...ranges.map((r) => r.max)) };
}
