import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { prefixEnd } from './key-range.js';

const utf8Less = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

test('prefixEnd bounds exactly the keys that start with the prefix, in UTF-8 byte order', () => {
  assert.equal(prefixEnd(''), null);
  assert.equal(prefixEnd('a/'), 'a0');
  assert.equal(prefixEnd('\u{10FFFF}'), null);
  assert.equal(prefixEnd('x\u{10FFFF}'), 'y');
  assert.equal(prefixEnd('\uD7FF'), '\uE000');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (prefix, key) => {
      const end = prefixEnd(prefix);
      if (end === null) return;
      const inRange = !utf8Less(key, prefix) && utf8Less(key, end);
      assert.equal(inRange, key.startsWith(prefix), `${JSON.stringify(prefix)} ${JSON.stringify(key)}`);
      assert.ok(utf8Less(prefix + key, end));
    }),
    { numRuns: 2000 },
  );
});
