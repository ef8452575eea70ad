import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** How far into the activity the victim is killed: part of the fault, not a wait for an outcome. */
const killAfter = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Activity = 'upload' | 'download' | 'gc' | 'repair' | 'rebalance';
interface Round { activity: Activity; victim: 'gateway' | number; delayMs: number }

/**
 * kill -9 of the gateway or a node at a random moment (seeded) of an upload, a download, a cleaner,
 * repair or rebalance pass. After every round no committed object is lost; at the end, once the grace
 * has passed, the cleaner leaves exactly the shards that committed objects use — no orphans.
 */
describe('crash consistency: kill -9 at random moments', () => {
  let cluster: LocalCluster;
  const committed = new Map<string, string>();
  before(async () => {
    cluster = await LocalCluster.start(10, ['--gc-grace', '2', '--gc-interval', '0']);
  });
  after(() => cluster.stop());

  const readAll = async (context: string) => {
    for (const [key, digest] of committed) {
      const res = await fetch(`${cluster.url}/${key}`);
      assert.equal(res.status, 200, `${key} readable ${context}`);
      assert.equal(sha(Buffer.from(await res.arrayBuffer())), digest, `${key} exact ${context}`);
    }
  };
  const upload = async (key: string, data: Buffer) => {
    const res = await fetch(`${cluster.url}/${key}`, { method: 'POST', body: data }).catch(() => undefined);
    if (res?.status === 201) committed.set(key, sha(data));
  };

  test('no committed object is lost and no orphan survives the cleaner', async () => {
    for (let i = 0; i < 4; i++) await upload(`crash/base-${i}`, randomBytes(3_000_000 + i * 1_000_000));
    const rounds = fc.sample(
      fc.record<Round>({
        activity: fc.constantFrom<Activity>('upload', 'download', 'gc', 'repair', 'rebalance'),
        victim: fc.oneof(fc.constant('gateway' as const), fc.integer({ min: 0, max: 9 })),
        delayMs: fc.integer({ min: 0, max: 700 }),
      }),
      // Seed 21: the gateway dies in each of the five activities, a node in an upload, a repair and a rebalance.
      { seed: 21, numRuns: 14 },
    );
    const down: number[] = [];
    for (const [n, round] of rounds.entries()) {
      const context = `after round ${n} (${round.activity}, kill ${round.victim} at ${round.delayMs} ms)`;
      let work: Promise<unknown>;
      const key = `crash/r${n}`;
      const data = randomBytes(15_000_000);
      switch (round.activity) {
        case 'upload':
          work = upload(key, data);
          break;
        case 'download': {
          const [someKey] = [...committed.keys()];
          work = fetch(`${cluster.url}/${someKey}`).then((r) => r.arrayBuffer()).catch(() => undefined);
          break;
        }
        case 'gc': {
          const [victimKey] = [...committed.keys()].slice(-1);
          const res = await cluster.admin(`/_objects/${victimKey}`, { method: 'DELETE' });
          if (res.status === 204) committed.delete(victimKey!);
          work = cluster.admin('/_gc', { method: 'POST' }).catch(() => undefined);
          break;
        }
        case 'repair': {
          const lost = round.victim === 9 ? 8 : 9;
          cluster.killNode(lost);
          down.push(lost);
          await waitUntil(async () => (await cluster.nodes()).some((x) => x.url === cluster.state.nodes[lost]!.url && x.state === 'down'), 15_000, 'the killed node marked down');
          work = cluster.admin('/_repair', { method: 'POST' }).catch(() => undefined);
          break;
        }
        case 'rebalance':
          await cluster.addNode();
          // The pass runs in the background; the work ends when it does (or when the kill ends it).
          work = cluster
            .admin('/_rebalance', { method: 'POST' })
            .then(() => waitUntil(async () => !((await (await cluster.admin('/_rebalance')).json()) as { running: boolean }).running, 30_000, 'the rebalance pass to end'))
            .catch(() => undefined);
          break;
      }
      await killAfter(round.delayMs);
      if (round.victim === 'gateway') {
        await cluster.restartGateway();
      } else if (!down.includes(round.victim)) {
        cluster.killNode(round.victim);
        down.push(round.victim);
      }
      await work;
      // Bring every dead node back (same directory, same id), then everything must read.
      for (const index of down.splice(0)) await cluster.restartNode(index);
      await waitUntil(async () => (await cluster.nodes()).every((x) => x.state === 'up'), 20_000, 'all nodes up');
      // An upload whose answer was lost in the crash may or may not have committed: if it is there, it is whole.
      if (round.activity === 'upload' && !committed.has(key)) {
        const res = await fetch(`${cluster.url}/${key}`);
        if (res.status === 200) {
          assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(data), `${key} whole if visible`);
          committed.set(key, sha(data));
        } else {
          assert.equal(res.status, 404, context);
        }
      }
      await readAll(context);
    }

    // Past the grace, two cleaner passes: the first claims abandoned intents, the second sweeps orphans. A
    // gateway killed during a pass holds the job's lease until it expires: asked again, as an operator would.
    const gc = () => waitUntil(async () => (await cluster.admin('/_gc', { method: 'POST' })).status !== 409, 30_000, 'the cleaner lease to be free');
    const used = new Set<string>();
    for (const key of committed.keys()) {
      const map = (await (await cluster.admin(`/_objects/${key}`)).json()) as { parts: { shards: { shardId: string }[] }[] };
      for (const s of map.parts[0]!.shards) used.add(s.shardId);
    }
    const shardsOnNodes = async () => (await cluster.nodes()).reduce((sum, x) => sum + x.shards, 0);
    await waitUntil(async () => {
      await gc();
      return (await shardsOnNodes()) === used.size;
    }, 30_000, 'cleaner passes past the grace to leave only the shards of committed objects');
    const onNodes = await shardsOnNodes();
    assert.equal(onNodes, used.size, 'the nodes hold exactly the shards of committed objects');
    await readAll('at the end');
  });
});
