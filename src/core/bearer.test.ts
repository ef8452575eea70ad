import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, hasBearer } from './bearer.js';

test('hasBearer accepts exactly the secret, whatever was checked before', () => {
  const secret = 'cluster-secret-1';
  for (let round = 0; round < 2; round++) {
    assert.equal(hasBearer(bearer(secret), secret), true);
    assert.equal(hasBearer(bearer('cluster-secret-2'), secret), false);
    assert.equal(hasBearer(bearer(secret + 'x'), secret), false);
    assert.equal(hasBearer(bearer(''), secret), false);
    assert.equal(hasBearer(secret, secret), false, 'no Bearer prefix');
    assert.equal(hasBearer(undefined, secret), false);
  }
  assert.equal(hasBearer(bearer('other'), 'other'), true);
  assert.equal(hasBearer(bearer(secret), 'other'), false);
});
