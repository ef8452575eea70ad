import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanFileName } from './file-name.js';

test('file names keep their last component, lose control characters, fit in 255 bytes', () => {
  assert.equal(cleanFileName('report.pdf'), 'report.pdf');
  assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
  assert.equal(cleanFileName('C:\\Users\\me\\photo "1".jpg'), 'photo "1".jpg');
  assert.equal(cleanFileName('отчёт за май.docx'), 'отчёт за май.docx');
  assert.equal(cleanFileName('a\u0000b\nc.txt'), 'abc.txt');
  assert.equal(cleanFileName('..'), undefined);
  assert.equal(cleanFileName(''), undefined);
  assert.equal(cleanFileName(undefined), undefined);
  const long = cleanFileName('ж'.repeat(200))!;
  assert.ok(Buffer.byteLength(long) <= 255 && long.length === 127);
});
