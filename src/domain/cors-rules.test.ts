import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { corsHeaders, corsRulesProblem, matchCorsRule, wildcardMatch, type CorsRule } from './cors-rules.js';

const rule = (over: Partial<CorsRule> = {}): CorsRule => ({ allowedOrigins: ['https://app.example.com'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['content-type', 'x-amz-*'], exposeHeaders: ['ETag'], maxAgeSeconds: 600, ...over });

test('cors: a wildcard stands for any run of characters, once', () => {
  assert.equal(wildcardMatch('https://*.example.com', 'https://a.b.example.com'), true);
  assert.equal(wildcardMatch('https://*.example.com', 'https://example.com'), false);
  assert.equal(wildcardMatch('*', 'http://anything'), true);
  assert.equal(wildcardMatch('http://exact', 'http://exact'), true);
  assert.equal(wildcardMatch('http://exact', 'http://exactly'), false);
  const noStar = fc.string().filter((s) => !s.includes('*'));
  fc.assert(fc.property(noStar, fc.string(), noStar, (a, b, c) => wildcardMatch(`${a}*${c}`, `${a}${b}${c}`)));
});

test('cors: the first rule allowing origin, method and every requested header wins; header names ignore case', () => {
  const rules = [rule(), rule({ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [] })];
  assert.equal(matchCorsRule(rules, 'https://app.example.com', 'PUT', ['Content-Type', 'X-Amz-Date']), rules[0]);
  assert.equal(matchCorsRule(rules, 'https://app.example.com', 'PUT', ['authorization']), undefined, 'a header no rule allows');
  assert.equal(matchCorsRule(rules, 'https://other.example', 'GET'), rules[1]);
  assert.equal(matchCorsRule(rules, 'https://other.example', 'PUT'), undefined);
  assert.equal(matchCorsRule(rules, 'https://app.example.com', 'DELETE'), undefined);
});

test('cors: response headers echo the origin with credentials, or * without', () => {
  assert.deepEqual(corsHeaders(rule(), 'https://app.example.com'), {
    'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'ETag', 'access-control-max-age': '600', vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  });
  assert.equal(corsHeaders(rule({ allowedOrigins: ['*'] }), 'https://x')['access-control-allow-origin'], '*');
  assert.equal(corsHeaders(rule({ allowedOrigins: ['*'] }), 'https://x')['access-control-allow-credentials'], undefined);
});

test('cors: configurations are checked as S3 checks them', () => {
  assert.equal(corsRulesProblem([rule()]), undefined);
  assert.match(corsRulesProblem([])!, /at least one/);
  assert.match(corsRulesProblem([rule({ allowedMethods: ['PATCH'] })])!, /unsupported HTTP method.*PATCH/);
  assert.match(corsRulesProblem([rule({ allowedOrigins: ['https://*.*.com'] })])!, /more than one wildcard/);
  assert.match(corsRulesProblem([rule({ allowedHeaders: ['**'] })])!, /more than one wildcard/);
  assert.match(corsRulesProblem([rule({ allowedOrigins: [] })])!, /AllowedOrigin and an AllowedMethod/);
  assert.match(corsRulesProblem(Array.from({ length: 101 }, () => rule()))!, /at most 100/);
  assert.match(corsRulesProblem([rule({ maxAgeSeconds: -1 })])!, /MaxAgeSeconds/);
});
