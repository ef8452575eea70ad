import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, FrameDecoder, FrameProtocolError, type Frame, MAX_REPLY_FRAME_BYTES, MAX_REQUEST_FRAME_BYTES, OP_PUT } from './frames.js';

test('frames come out whole and in order, however the stream is cut', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1 }), (payloads, cuts) => {
      const id = '0195a3b2-1111-7000-8000-000000000001';
      const bytes = Buffer.concat(payloads.flatMap((p, i) => encodeRequest(OP_PUT, i + 1, id, i, 7, [Buffer.from(p)])));
      const decoder = new FrameDecoder(MAX_REQUEST_FRAME_BYTES);
      const frames: Frame[] = [];
      let at = 0;
      for (let c = 0; at < bytes.length; c++) {
        const step = cuts[c % cuts.length]!;
        frames.push(...decoder.push(bytes.subarray(at, at + step)));
        at += step;
      }
      assert.equal(frames.length, payloads.length);
      frames.forEach((frame, i) => {
        const request = decodeRequest(frame);
        assert.deepEqual([request.op, request.id, request.shardId, request.a, request.b], [OP_PUT, i + 1, id, i, 7]);
        assert.ok(request.payload.equals(Buffer.from(payloads[i]!)));
      });
    }),
  );
});

test('replies round-trip; an oversized frame is a protocol error', () => {
  const [reply] = new FrameDecoder(MAX_REPLY_FRAME_BYTES).push(Buffer.concat(encodeReply(9, 404, 3, Buffer.from('no shard'))));
  assert.deepEqual({ ...decodeReply(reply!), payload: Buffer.concat(decodeReply(reply!).payload).toString(), payloadBytes: 8 }, { id: 9, status: 404, value: 3, payload: 'no shard', payloadBytes: 8 });
  const huge = Buffer.alloc(8);
  huge.writeUInt32LE(MAX_REQUEST_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameDecoder(MAX_REQUEST_FRAME_BYTES).push(huge), FrameProtocolError);
  // A reply may carry a long read (a first stripe's block), a request only a small shard.
  assert.deepEqual(new FrameDecoder(MAX_REPLY_FRAME_BYTES).push(huge), []);
  huge.writeUInt32LE(MAX_REPLY_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameDecoder(MAX_REPLY_FRAME_BYTES).push(huge), FrameProtocolError);
});

test('a long reply comes out in the pieces it arrived in, not joined into one buffer', () => {
  const data = Buffer.alloc(256 * 1024 + 4, 7);
  const bytes = Buffer.concat(encodeReply(5, 200, data.length, data));
  const decoder = new FrameDecoder(MAX_REPLY_FRAME_BYTES);
  const frames: Frame[] = [];
  for (let at = 0; at < bytes.length; at += 65536) frames.push(...decoder.push(bytes.subarray(at, at + 65536)));
  assert.equal(frames.length, 1);
  const reply = decodeReply(frames[0]!);
  assert.equal(reply.payload.length, 5, 'the four full chunks and the last bytes, as views');
  assert.equal(reply.payloadBytes, data.length);
  assert.ok(Buffer.concat(reply.payload).equals(data));
});
