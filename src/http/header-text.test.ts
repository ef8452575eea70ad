import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { headerText } from './header-text.js';

/** What Node's parser makes of UTF-8 bytes on the wire. */
const asReceived = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

test('raw UTF-8 in a header is read as UTF-8', () => {
  assert.equal(headerText(asReceived('отчёт 2026.pdf')), 'отчёт 2026.pdf');
  assert.equal(headerText(asReceived('naïve – 東京.txt')), 'naïve – 東京.txt');
});

test('ASCII, and Latin-1 that is not valid UTF-8, stay as sent', () => {
  assert.equal(headerText('report.pdf'), 'report.pdf');
  assert.equal(headerText('caf\u00e9.txt'), 'caf\u00e9.txt');
});

test('property: any text sent as UTF-8 comes back exact', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => assert.equal(headerText(asReceived(text)), text)));
});
