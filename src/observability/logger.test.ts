import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, logFormat } from './logger.js';

test('credentials never reach the log, at the top level or nested', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('test', 'info', sink);
  log.info({ adminToken: 'tok-123', config: { nodeSecret: 'sec-456', port: 1 }, headers: { authorization: 'Bearer abc' } }, 'start');
  log.child({ component: 'x' }).warn({ req: { headers: { authorization: 'Bearer def' } }, owner_key: 'k-789' }, 'oops');
  const text = lines.join('');
  for (const secret of ['tok-123', 'sec-456', 'Bearer abc', 'Bearer def', 'k-789']) assert.ok(!text.includes(secret), secret);
  assert.match(text, /"port":1/);
  assert.match(text, /\[redacted\]/);
});

test('JSON lines unless on a terminal or asked for pretty', () => {
  assert.equal(logFormat({}, false), 'json');
  assert.equal(logFormat({}, true), 'pretty');
  assert.equal(logFormat({ SHARDSTORE_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(logFormat({ SHARDSTORE_LOG_FORMAT: 'pretty' }, false), 'pretty');
});
