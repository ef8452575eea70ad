/**
 * The body of the digest worker thread (src/streams/digest-worker.ts): SHA-256 and MD5 of the bodies it is
 * sent, in slabs of shared memory that go back to the sender once hashed. Its own thread, so the two
 * slowest steps of an upload run beside the striping on the other core instead of in front of it.
 */
import { parentPort } from 'node:worker_threads';
import { ContentDigest } from './content-digest.js';
import type { FromDigestThread, ToDigestThread } from './digest-messages.js';

const port = parentPort;
if (!port) throw new Error('digest-thread.js runs as a worker thread');

const jobs = new Map<number, ContentDigest>();

port.on('message', (message: ToDigestThread) => {
  const reply = (m: FromDigestThread) => port.postMessage(m);
  switch (message.type) {
    case 'data': {
      let job = jobs.get(message.job);
      if (!job) jobs.set(message.job, (job = new ContentDigest()));
      job.update(new Uint8Array(message.slab, 0, message.length));
      reply({ type: 'free', job: message.job, slab: message.slab });
      break;
    }
    case 'end': {
      const { sha256, md5 } = (jobs.get(message.job) ?? new ContentDigest()).digest();
      jobs.delete(message.job);
      reply({ type: 'digests', job: message.job, sha256, md5 });
      break;
    }
    case 'drop':
      jobs.delete(message.job);
      break;
  }
});
