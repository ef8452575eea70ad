import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lifecycleDueAt, lifecycleRulesProblem, ruleCovers, type LifecycleRule } from './lifecycle-rules.js';

const rule = (over: Partial<LifecycleRule> = {}): LifecycleRule => ({ id: 'r', enabled: true, prefix: 'logs/', tags: [], expirationDays: 30, ...over });

test('lifecycle: a rule acts at the midnight UTC after creation plus its days', () => {
  const created = Date.UTC(2026, 0, 10, 15, 30);
  assert.equal(lifecycleDueAt(created, 1), Date.UTC(2026, 0, 12));
  assert.equal(lifecycleDueAt(Date.UTC(2026, 0, 10), 1), Date.UTC(2026, 0, 11), 'created at midnight: exactly a day later');
  fc.assert(fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 3650 }), (at, days) => {
    const due = lifecycleDueAt(at, days);
    return due % 86_400_000 === 0 && due >= at + days * 86_400_000 && due - (at + days * 86_400_000) < 86_400_000;
  }));
});

test('lifecycle: a rule covers keys under its prefix that carry all its tags, when enabled', () => {
  const tagged = rule({ tags: [{ key: 'tier', value: 'tmp' }, { key: 'team', value: 'a' }] });
  assert.equal(ruleCovers(rule(), 'logs/2026/a.gz', []), true);
  assert.equal(ruleCovers(rule(), 'data/logs/a', []), false);
  assert.equal(ruleCovers(rule({ prefix: '' }), 'anything', []), true);
  assert.equal(ruleCovers(tagged, 'logs/a', [{ key: 'tier', value: 'tmp' }]), false, 'one tag of two');
  assert.equal(ruleCovers(tagged, 'logs/a', [{ key: 'team', value: 'a' }, { key: 'x', value: 'y' }, { key: 'tier', value: 'tmp' }]), true);
  assert.equal(ruleCovers(tagged, 'logs/a', [{ key: 'team', value: 'A' }, { key: 'tier', value: 'tmp' }]), false, 'values are case-sensitive');
  assert.equal(ruleCovers(rule({ enabled: false }), 'logs/a', []), false);
});

test('lifecycle: configurations S3 refuses are refused with its reasons', () => {
  assert.equal(lifecycleRulesProblem([rule()]), undefined);
  assert.equal(lifecycleRulesProblem([rule({ expirationDays: undefined, abortIncompleteDays: 7 })]), undefined);
  assert.match(lifecycleRulesProblem([])!, /at least one Rule/);
  assert.match(lifecycleRulesProblem([rule(), rule()])!, /unique/);
  assert.match(lifecycleRulesProblem([rule({ expirationDays: undefined })])!, /At least one action/);
  assert.match(lifecycleRulesProblem([rule({ expirationDays: 0 })])!, /positive integer/);
  assert.match(lifecycleRulesProblem([rule({ expirationDays: 1.5 })])!, /positive integer/);
  assert.match(lifecycleRulesProblem([rule({ abortIncompleteDays: 2, tags: [{ key: 'a', value: 'b' }] })])!, /cannot be specified with Tags/);
  assert.match(lifecycleRulesProblem([rule({ id: 'x'.repeat(256) })])!, /255/);
});
