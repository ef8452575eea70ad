import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamHead, STREAM_ACCEPTED, streamReadRequest, streamRefusal } from './stream-reads.js';

test('a streamed read’s acceptance is parsed, and the bytes after its head are left for the body', () => {
  const bytes = Buffer.concat([Buffer.from(STREAM_ACCEPTED), Buffer.from('frames')]);
  assert.equal(parseStreamHead(bytes.subarray(0, STREAM_ACCEPTED.length - 1)), undefined, 'not before its blank line');
  assert.deepEqual(parseStreamHead(bytes), { status: 101, headBytes: STREAM_ACCEPTED.length, fromStreamNode: true });
});

test('a refusal names itself; an answer without that header is a node that does not know streamed reads', () => {
  const refusal = parseStreamHead(Buffer.from(streamRefusal(404, 'Not Found', 'no shard')));
  assert.equal(refusal?.status, 404);
  assert.equal(refusal?.fromStreamNode, true);
  assert.equal(parseStreamHead(Buffer.from('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'))?.fromStreamNode, false);
  // A framed-channel 101 is an upgrade to another protocol, not a streamed read.
  assert.equal(parseStreamHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: shardstore-frames/1\r\n\r\n'))?.fromStreamNode, false);
  assert.equal(parseStreamHead(Buffer.from('garbage\r\n\r\n'))?.status, 0);
});

test('the request carries the secret, the upgrade and the range', () => {
  const request = streamReadRequest('/v1/shards/x', '127.0.0.1:1', 'Bearer s', { start: 8, end: 15 });
  assert.match(request, /^GET \/v1\/shards\/x HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nAuthorization: Bearer s\r\n/);
  assert.match(request, /\r\nUpgrade: shardstore-stream\/1\r\n/);
  assert.match(request, /\r\nRange: bytes=8-15\r\n\r\n$/);
});
