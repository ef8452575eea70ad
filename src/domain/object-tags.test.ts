import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTagQuery, tagQuery, tagSetProblem, tagsOf, TAGS_HEADER, withTags } from './object-tags.js';

test('tag sets: S3\'s limits on count, key and value length, characters, duplicates and the aws: prefix', () => {
  assert.equal(tagSetProblem([{ key: 'project', value: 'blue sky' }, { key: 'Ünïcode', value: 'a+b=c:d/e@f-g_h.i' }, { key: 'empty', value: '' }]), undefined);
  assert.equal(tagSetProblem(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' }))), undefined);
  assert.equal(tagSetProblem(Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })))?.code, 'BadRequest');
  assert.equal(tagSetProblem([{ key: '', value: 'v' }])?.code, 'InvalidTag');
  assert.equal(tagSetProblem([{ key: 'k'.repeat(128), value: 'v'.repeat(256) }]), undefined);
  assert.equal(tagSetProblem([{ key: 'k'.repeat(129), value: 'v' }])?.code, 'InvalidTag');
  assert.equal(tagSetProblem([{ key: 'k', value: 'v'.repeat(257) }])?.code, 'InvalidTag');
  assert.equal(tagSetProblem([{ key: 'semi;colon', value: 'v' }])?.code, 'InvalidTag');
  assert.equal(tagSetProblem([{ key: 'k', value: 'a<b' }])?.code, 'InvalidTag');
  assert.match(tagSetProblem([{ key: 'aws:owner', value: 'v' }])!.message, /aws:/);
  assert.match(tagSetProblem([{ key: 'k', value: '1' }, { key: 'k', value: '2' }])!.message, /same key/);
});

test('tag sets: the query form round-trips, and the stored entry is replaced or removed without touching other headers', () => {
  const tag = fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), value: fc.string({ maxLength: 20 }) }, { noNullPrototype: true });
  fc.assert(fc.property(fc.array(tag, { maxLength: 10 }), (tags) => assert.deepEqual(parseTagQuery(tagQuery(tags)), tags)));
  assert.deepEqual(parseTagQuery('a=1&b=two%20words&c='), [{ key: 'a', value: '1' }, { key: 'b', value: 'two words' }, { key: 'c', value: '' }]);
  const headers = withTags({ 'x-amz-meta-x': '1' }, [{ key: 'a', value: 'b c' }]);
  assert.deepEqual(headers, { 'x-amz-meta-x': '1', [TAGS_HEADER]: 'a=b+c' });
  assert.deepEqual(tagsOf(headers), [{ key: 'a', value: 'b c' }]);
  assert.deepEqual(withTags(headers, []), { 'x-amz-meta-x': '1' });
  assert.deepEqual(tagsOf(null), []);
});
