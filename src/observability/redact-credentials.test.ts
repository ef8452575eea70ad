import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CREDENTIAL_FIELDS, REDACTED, redactCredentials } from './redact-credentials.js';

const credentialName = fc.constantFrom(...CREDENTIAL_FIELDS);
const plainName = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !CREDENTIAL_FIELDS.has(k) && k !== '__proto__');

test('redaction: credentials at any of the first three levels are replaced, the caller’s object is untouched', () => {
  fc.assert(
    fc.property(fc.array(plainName, { minLength: 0, maxLength: 2 }), credentialName, fc.string(), (path, name, secret) => {
      const fields: Record<string, unknown> = { keep: 1 };
      let at = fields;
      for (const k of path) at = at[k] = { other: 'x' } as Record<string, unknown>;
      at[name] = secret;
      const before = JSON.stringify(fields);
      const out = redactCredentials(fields);
      assert.equal(JSON.stringify(fields), before, 'the input is not changed');
      let got: Record<string, unknown> = out;
      for (const k of path) got = got[k] as Record<string, unknown>;
      assert.equal(got[name], REDACTED);
      assert.equal(got.other ?? 'x', 'x');
      assert.equal(out.keep, 1);
    }),
  );
});

test('redaction: an object without credentials comes back as itself (no copy); arrays, errors, buffers are left alone', () => {
  const fields = { method: 'GET', path: '/a', nested: { status: 200, deeper: { bytes: 3 } }, list: [{ token: 'in an array' }], err: new Error('x') };
  assert.equal(redactCredentials(fields), fields);
  const buffer = Buffer.from('token');
  assert.equal(redactCredentials({ buffer }).buffer, buffer);
});

test('redaction: below three levels nothing is looked for', () => {
  const deep = { a: { b: { c: { token: 'deep' } } } };
  assert.equal(redactCredentials(deep), deep);
});
