import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyFromUrlPath, validateKey } from './object-key.js';
import { InvalidKeyError } from '../core/errors.js';

test('keys come from the path; the query string is ignored', () => {
  assert.equal(keyFromUrlPath('/images/ololo/file.jpg'), 'images/ololo/file.jpg');
  assert.equal(keyFromUrlPath('/images/ololo/file.jpg?version=12'), 'images/ololo/file.jpg');
  assert.equal(keyFromUrlPath('/a%20b/%D1%84.txt'), 'a b/ф.txt');
});

test('bad keys are refused', () => {
  for (const url of ['/', '/a//b', '/a/', '/a/../etc/passwd', '/..', '/./a', '/a/b%00c', '/a%0Ab', '/_nodes/x', '/_x', '/%E0%A4%A', '/a\\b', '/filestore/x', '/fileinfo']) {
    assert.throws(() => keyFromUrlPath(url), InvalidKeyError, url);
  }
  assert.throws(() => validateKey('a/' + 'x'.repeat(1023)), /longer than 1024/);
  validateKey('x'.repeat(1024));
  validateKey('b/_underscore/is/fine/inside');
});

test('any accepted key has no traversal, control characters or empty segments', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      let key: string;
      try {
        key = keyFromUrlPath('/' + s);
      } catch (error) {
        assert.ok(error instanceof InvalidKeyError);
        return;
      }
      const segments = key.split('/');
      assert.ok(segments.every((seg) => seg !== '' && seg !== '.' && seg !== '..'));
      assert.ok(!/[\u0000-\u001f\u007f]/.test(key));
      assert.ok(!segments[0]!.startsWith('_'));
    }),
  );
});
