import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, FrameDecoder, FrameProtocolError, MAX_FRAME_BYTES, OP_PUT } from './frames.js';

test('frames come out whole and in order, however the stream is cut', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1 }), (payloads, cuts) => {
      const id = '0195a3b2-1111-7000-8000-000000000001';
      const bytes = Buffer.concat(payloads.flatMap((p, i) => encodeRequest(OP_PUT, i + 1, id, i, 7, [Buffer.from(p)])));
      const decoder = new FrameDecoder();
      const frames: Buffer[] = [];
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
  const [reply] = new FrameDecoder().push(Buffer.concat(encodeReply(9, 404, 3, Buffer.from('no shard'))));
  assert.deepEqual({ ...decodeReply(reply!), payload: decodeReply(reply!).payload.toString() }, { id: 9, status: 404, value: 3, payload: 'no shard' });
  const huge = Buffer.alloc(8);
  huge.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameDecoder().push(huge), FrameProtocolError);
});
