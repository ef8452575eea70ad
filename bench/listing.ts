/**
 * `npm run bench:listing`: S3 ListObjectsV2 over a bucket of BENCH_LIST_KEYS (default 1,000,000) keys, paged
 * 1000 at a time, plain and with a delimiter. The rows are seeded straight into the local cluster's SQLite
 * metadata (uploading a million objects through HTTP would take hours and measure something else); the
 * listing itself goes through the gateway's S3 API with signed requests, as any client's would.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { signedGet } from './signed-fetch.js';
import { LocalCluster } from '../test/helpers/local-cluster.js';

const KEYS = Number(process.env.BENCH_LIST_KEYS ?? 1_000_000);
const PG = process.env.BENCH_LIST_DB;
const cluster = await LocalCluster.start(8, ['--gc-interval', '0', ...(PG ? ['--db', PG] : [])]);
try {
  const { url, accessKey, secretKey, region } = cluster.state.s3;
  const s3 = new S3Client({ endpoint: url, region, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey }, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
  s3.destroy();
  const seedStart = performance.now();
  if (PG) {
    const pool = new pg.Pool({ connectionString: PG });
    await pool.query(
      `INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, created_at)
       SELECT 'seed-' || i, 'listing', 'dir-' || lpad((i % 1000)::text, 4, '0') || '/file-' || lpad(i::text, 8, '0') || '.jpg',
              4096, repeat('e', 32), repeat('s', 64), 'application/octet-stream', $2
       FROM generate_series(0, $1 - 1) AS i`,
      [KEYS, Date.now()],
    );
    // What autovacuum does soon after a bulk load: the visibility map lets listings scan the index only.
    await pool.query('VACUUM ANALYZE objects');
    await pool.end();
  } else {
    const db = new Database(join(cluster.dir, 'meta.db'));
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare(
      `INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, created_at) VALUES (?, 'listing', ?, 4096, ?, ?, 'application/octet-stream', ?)`,
    );
    const etag = 'e'.repeat(32);
    const sha = 's'.repeat(64);
    const now = Date.now();
    // 1000 "directories" of KEYS / 1000 keys each.
    db.transaction(() => {
      for (let i = 0; i < KEYS; i++) insert.run(`seed-${i}`, `dir-${String(i % 1000).padStart(4, '0')}/file-${String(i).padStart(8, '0')}.jpg`, etag, sha, now);
    })();
    db.close();
  }
  console.log(`seeded ${KEYS} keys in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const listAll = async (delimiter?: string) => {
    let token: string | undefined;
    let keys = 0;
    let prefixes = 0;
    const started = performance.now();
    do {
      const query: Record<string, string> = { 'list-type': '2', 'max-keys': '1000' };
      if (token) query['continuation-token'] = token;
      if (delimiter) query['delimiter'] = delimiter;
      const xml = await signedGet(url, '/listing', query, { accessKey, secretKey, region });
      keys += xml.split('<Key>').length - 1;
      prefixes += xml.split('<CommonPrefixes>').length - 1;
      token = /<NextContinuationToken>([^<]+)</.exec(xml)?.[1];
    } while (token);
    return { keys, prefixes, seconds: (performance.now() - started) / 1000 };
  };
  const plain = await listAll();
  if (plain.keys !== KEYS) throw new Error(`listed ${plain.keys} keys, expected ${KEYS}`);
  console.log(`ListObjectsV2, ${plain.keys} keys in pages of 1000: ${plain.seconds.toFixed(1)} s = ${(plain.keys / plain.seconds).toFixed(0)} keys/s`);
  const rolled = await listAll('/');
  console.log(`ListObjectsV2 with delimiter '/': ${rolled.prefixes} common prefixes in ${rolled.seconds.toFixed(2)} s`);
} finally {
  await cluster.stop();
}
