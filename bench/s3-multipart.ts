/**
 * `npm run bench:s3`: a large S3 multipart upload (AWS SDK lib-storage, 64 MiB parts, 4 in flight) and its
 * download through the S3 API of a local cluster, with the gateway's peak RSS sampled every 100 ms.
 *
 *   BENCH_S3_GIB (default 2)  size of the object
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { LocalCluster } from '../test/helpers/local-cluster.js';

const MIB = 2 ** 20;
const total = Number(process.env.BENCH_S3_GIB ?? 2) * 1024;
const cluster = await LocalCluster.start(8);
try {
  const { url, accessKey, secretKey, region } = cluster.state.s3;
  const s3 = new S3Client({ endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true });
  const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cluster.state.gateway.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 100);
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));

  // Each MiB is a random block stamped with its index, so no two parts are alike.
  const block = randomBytes(MIB);
  const sent = createHash('sha256');
  function* body(): Generator<Buffer> {
    for (let i = 0; i < total; i++) {
      const b = Buffer.from(block);
      b.writeUInt32BE(i, 0);
      sent.update(b);
      yield b;
    }
  }
  const startRss = rssMiB();
  let t0 = performance.now();
  await new Upload({ client: s3, params: { Bucket: 'bench', Key: 'big', Body: Readable.from(body()) }, partSize: 64 * MIB, queueSize: 4 }).done();
  const upSeconds = (performance.now() - t0) / 1000;
  const upPeak = peak;
  peak = 0;
  t0 = performance.now();
  const res = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: 'big' }));
  const received = createHash('sha256');
  for await (const chunk of res.Body as AsyncIterable<Uint8Array>) received.update(chunk);
  const downSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  s3.destroy();
  if (sent.digest('hex') !== received.digest('hex')) throw new Error('the downloaded bytes differ');
  const mbps = (seconds: number) => ((total * MIB) / 1e6 / seconds).toFixed(0);
  console.log(`S3 multipart ${total / 1024} GiB (64 MiB parts, 4 in flight), gateway RSS at start ${startRss.toFixed(0)} MiB`);
  console.log(`  upload:   ${upSeconds.toFixed(1)} s = ${mbps(upSeconds)} MB/s, gateway peak RSS ${upPeak.toFixed(0)} MiB`);
  console.log(`  download: ${downSeconds.toFixed(1)} s = ${mbps(downSeconds)} MB/s, gateway peak RSS ${peak.toFixed(0)} MiB, bytes identical`);
} finally {
  await cluster.stop();
}
