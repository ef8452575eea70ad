import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieValue, isValidKeySession, isValidSession, issueKeySession, issueSession, keySessionAccessKey } from './console-session.js';

const token = 'admin-token-of-this-cluster';

test('a session issued with the admin token is valid until it expires', () => {
  const value = issueSession(token, 1_000, 60_000);
  assert.ok(isValidSession(token, value, 1_000));
  assert.ok(isValidSession(token, value, 60_999));
  assert.ok(!isValidSession(token, value, 61_000));
});

test('a session signed with another token, tampered with, or malformed is refused', () => {
  const value = issueSession(token, 1_000, 60_000);
  assert.ok(!isValidSession('another-token', value, 2_000));
  const [expiry, mac] = value.split('.') as [string, string];
  assert.ok(!isValidSession(token, `${Number(expiry) + 1}.${mac}`, 2_000), 'a later expiry under the old signature');
  assert.ok(!isValidSession(token, `${expiry}.${mac.slice(0, -2)}`, 2_000), 'a shortened signature');
  for (const bad of [undefined, '', '.', 'abc', `${expiry}.`, `.${mac}`, `-5.${mac}`, `1e9.${mac}`, `${expiry}.${mac}.x`]) {
    assert.ok(!isValidSession(token, bad, 2_000), String(bad));
  }
});

test('the session carries nothing of the token', () => {
  assert.ok(!issueSession(token, 0).includes(token));
});

test('cookieValue finds one cookie among several', () => {
  assert.equal(cookieValue('a=1; shardstore_console=xyz.abc; b=2', 'shardstore_console'), 'xyz.abc');
  assert.equal(cookieValue('shardstore_console_other=1', 'shardstore_console'), undefined);
  assert.equal(cookieValue(undefined, 'shardstore_console'), undefined);
  assert.equal(cookieValue('broken; =x; shardstore_console=v', 'shardstore_console'), 'v');
});

test('an S3 key session names its key, is valid with its secret until it expires, and is no admin session', () => {
  const value = issueKeySession('AKEXAMPLE', 'secret-of-the-key', 1_000, 60_000);
  assert.equal(keySessionAccessKey(value), 'AKEXAMPLE');
  assert.ok(isValidKeySession('secret-of-the-key', value, 1_000));
  assert.ok(!isValidKeySession('secret-of-the-key', value, 61_000));
  assert.ok(!isValidKeySession('another-secret', value, 2_000));
  assert.ok(!isValidKeySession('secret-of-the-key', value.replace('AKEXAMPLE', 'AKOTHER'), 2_000), 'another key under the same signature');
  assert.ok(!isValidSession('secret-of-the-key', value, 2_000));
  assert.equal(keySessionAccessKey(issueSession(token, 0)), undefined, 'an admin session names no key');
  assert.ok(!isValidKeySession(token, issueSession(token, 0), 1));
  assert.ok(!value.includes('secret-of-the-key'));
});
