import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lengthRange, parsePostPolicy, policyProblem, type PostPolicy } from './post-policy.js';

const encode = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString('base64');
const NOW = Date.parse('2026-12-04T10:00:00Z');
const policy = (conditions: unknown[], expiration = '2026-12-04T11:00:00.000Z'): PostPolicy => {
  const parsed = parsePostPolicy(encode({ expiration, conditions }));
  assert.ok(typeof parsed !== 'string', String(parsed));
  return parsed;
};
const form = (fields: Record<string, string>) => new Map(Object.entries(fields));
const implied = (key: string) => new Map([['bucket', 'uploads'], ['key', key]]);

test('post policy: the three condition forms, field names without regard to case', () => {
  const p = policy([{ bucket: 'uploads' }, ['starts-with', '$key', 'user/42/'], ['eq', '$Content-Type', 'image/png'], ['content-length-range', 1, '1048576']]);
  assert.deepEqual(p.conditions, [
    { kind: 'eq', field: 'bucket', value: 'uploads' },
    { kind: 'starts-with', field: 'key', prefix: 'user/42/' },
    { kind: 'eq', field: 'content-type', value: 'image/png' },
    { kind: 'content-length-range', min: 1, max: 1_048_576 },
  ]);
  const fields = form({ key: 'user/42/a.png', 'content-type': 'image/png', policy: 'x', 'x-amz-signature': 'y' });
  assert.equal(policyProblem(p, fields, implied('user/42/a.png'), NOW), undefined);
  assert.deepEqual(lengthRange(p), { min: 1, max: 1_048_576 });
});

test('post policy: a broken condition, an extra field or a past expiration is refused with S3\'s words', () => {
  const p = policy([{ bucket: 'uploads' }, ['starts-with', '$key', 'user/42/'], ['starts-with', '$Content-Type', 'image/']]);
  const ok = { key: 'user/42/a', 'content-type': 'image/jpeg' };
  assert.equal(policyProblem(p, form(ok), implied('user/42/a'), NOW), undefined);
  assert.equal(policyProblem(p, form({ ...ok, 'x-ignore-note': 'n' }), implied('user/42/a'), NOW), undefined, 'x-ignore- fields need no condition');
  assert.equal(policyProblem(p, form(ok), implied('user/7/a'), NOW), 'Policy Condition failed: ["starts-with","$key","user/42/"]');
  assert.equal(policyProblem(p, form({ ...ok, 'content-type': 'text/html' }), implied('user/42/a'), NOW), 'Policy Condition failed: ["starts-with","$content-type","image/"]');
  assert.equal(policyProblem(p, form({ key: 'user/42/a' }), implied('user/42/a'), NOW), 'Policy Condition failed: ["starts-with","$content-type","image/"]', 'a conditioned field that is missing');
  assert.equal(policyProblem(p, form({ ...ok, 'x-amz-meta-owner': 'eve' }), implied('user/42/a'), NOW), 'Extra input fields: x-amz-meta-owner');
  assert.equal(policyProblem(policy([{ bucket: 'other' }]), form({}), implied('k'), NOW), 'Policy Condition failed: ["eq","$bucket","other"]');
  assert.equal(policyProblem(policy([], '2026-12-04T09:59:59Z'), form({}), implied('k'), NOW), 'Policy expired.');
});

test('post policy: documents that are not policies are refused with the reason', () => {
  assert.match(String(parsePostPolicy('%%%')), /not base64-encoded JSON|expiration/);
  assert.match(String(parsePostPolicy(encode({ conditions: [] }))), /expiration/);
  assert.match(String(parsePostPolicy(encode({ expiration: '2026-12-04T11:00:00Z' }))), /conditions/);
  assert.match(String(parsePostPolicy(encode({ expiration: '2026-12-04T11:00:00Z', conditions: [['lt', '$key', 'a']] }))), /operators/);
  assert.match(String(parsePostPolicy(encode({ expiration: '2026-12-04T11:00:00Z', conditions: [['content-length-range', 10, 1]] }))), /content-length-range/);
  assert.match(String(parsePostPolicy(encode({ expiration: '2026-12-04T11:00:00Z', conditions: [{ a: '1', b: '2' }] }))), /one field/);
});
