import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareKeys, listingUrlEncode, listPage, type ListingRequest } from './s3-listing.js';
import type { ObjectListEntry } from '../../domain/records.js';

const entries = (keys: string[]): ObjectListEntry[] => [...new Set(keys)].sort(compareKeys).map((key) => ({ key, size: 1, etag: 'e', createdAt: 0 }));
const fetcherOf = (all: ObjectListEntry[], prefix: string) => async (after: string, limit: number) =>
  all.filter((e) => e.key.startsWith(prefix) && compareKeys(e.key, after) > 0).slice(0, limit);

/** What S3 answers, computed the slow obvious way: every key in order, rolled up, then cut at max-keys. */
function reference(all: ObjectListEntry[], req: ListingRequest) {
  const items: { key: string; prefix: boolean }[] = [];
  for (const e of all) {
    if (!e.key.startsWith(req.prefix)) continue;
    const at = req.delimiter ? e.key.indexOf(req.delimiter, req.prefix.length) : -1;
    const item = at === -1 ? { key: e.key, prefix: false } : { key: e.key.slice(0, at + req.delimiter.length), prefix: true };
    if (compareKeys(item.key, req.after) <= 0) continue;
    if (items.at(-1)?.key !== item.key) items.push(item);
  }
  return items;
}

test('pages with a delimiter, resumed from each page\'s end, give exactly the rolled-up listing', async () => {
  const keyChars = fc.constantFrom('a', 'b', '/', '-', 'é', '\u{1F600}');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.string({ unit: keyChars, minLength: 1, maxLength: 6 }), { maxLength: 40 }),
      fc.constantFrom('', 'a', 'a/', 'b'),
      fc.constantFrom('', '/', '-'),
      fc.integer({ min: 1, max: 5 }),
      async (keys, prefix, delimiter, maxKeys) => {
        const all = entries(keys);
        const expected = reference(all, { prefix, delimiter, after: '', maxKeys });
        const got: { key: string; prefix: boolean }[] = [];
        let after = '';
        for (let pages = 0; pages < 100; pages++) {
          const page = await listPage(fetcherOf(all, prefix), { prefix, delimiter, after, maxKeys });
          assert.ok(page.contents.length + page.commonPrefixes.length <= maxKeys);
          const items = [...page.contents.map((e) => ({ key: e.key, prefix: false })), ...page.commonPrefixes.map((p) => ({ key: p, prefix: true }))];
          got.push(...items.sort((x, y) => compareKeys(x.key, y.key)));
          if (!page.truncated) break;
          assert.ok(page.next !== undefined);
          after = page.next;
        }
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 400 },
  );
});

test('max-keys 0 lists nothing and is not truncated', async () => {
  const page = await listPage(fetcherOf(entries(['a']), ''), { prefix: '', delimiter: '', after: '', maxKeys: 0 });
  assert.deepEqual(page, { contents: [], commonPrefixes: [], truncated: false, next: undefined });
});

test('listing url encoding: as AWS answers it (space as +, + as %2B, / kept, UTF-8 bytes), and undone by form decoding', () => {
  assert.equal(listingUrlEncode('a b.txt'), 'a+b.txt');
  assert.equal(listingUrlEncode('a+b.txt'), 'a%2Bb.txt');
  assert.equal(listingUrlEncode('100%.csv'), '100%25.csv');
  assert.equal(listingUrlEncode('한글/x.txt'), '%ED%95%9C%EA%B8%80/x.txt');
  assert.equal(listingUrlEncode('run books/x~y_z-1.txt'), 'run+books/x~y_z-1.txt');
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => formDecode(listingUrlEncode(key)) === key));
});
