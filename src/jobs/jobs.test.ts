import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MetadataUnavailableError } from '../core/errors.js';
import { newShardId } from '../core/ids.js';
import { memoryCluster, silentLog } from '../../test/helpers/memory-cluster.js';
import { Cleaner } from './cleaner.js';
import { Deduper } from './deduper.js';
import { Rebalancer } from './rebalancer.js';
import { Repairer } from './repairer.js';
import { Scrubber } from './scrubber.js';
import { PlacementAuditor } from './placement-audit.js';

const GRACE_MS = 60_000;
/** The rebalancer as the gateway runs it, unthrottled, on the cluster's fake clock. */
const rebalancerOf = (c: Awaited<ReturnType<typeof memoryCluster>>) =>
  new Rebalancer(c.svc, { startAbove: 0.1, stopAt: 0.05, bytesPerSecond: 1024 ** 3, passBudgetMs: 600_000 }, silentLog, c.clock.now);
const held = (c: Awaited<ReturnType<typeof memoryCluster>>) => c.pool.stores().reduce((sum, s) => sum + s.ids().length, 0);

test('cleaner: purges expired objects at once, orphans and temp files only after the grace, and waits for down nodes', async () => {
  const c = await memoryCluster();
  try {
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 7 * 86_400_000, c.clock.now);
    const object = await c.put('gone', randomBytes(30_000));
    await c.put('kept', randomBytes(30_000));
    assert.equal(held(c), 16);

    // A shard no object references (a crash between write and commit), and an upload still open on a node.
    const stray = c.pool.node('node-01');
    const orphan = newShardId();
    const sink = stray.create(orphan);
    await sink.write(randomBytes(100));
    await sink.end();
    stray.create(newShardId()).write(randomBytes(10));

    // One holder of the expired object is down: its purge waits for it.
    const holder = object.parts[0]!.shards.find((s) => s.nodeId !== 'node-01')!.nodeId;
    c.pool.stop(holder);
    await c.useCases.objects.expire(object, c.caller);
    let summary = await cleaner.runOnce();
    assert.equal(summary.purged, 0);
    assert.equal(summary.purgesPending, 1);
    assert.ok(summary.nodesSkipped.includes(holder));
    assert.equal(summary.orphanShards, 0, 'a young orphan may still be an upload about to commit');
    assert.equal(summary.tempFiles, 0);

    c.pool.start(holder);
    summary = await cleaner.runOnce();
    assert.equal(summary.purged, 1);
    c.clock.advance(GRACE_MS + 1000);
    summary = await cleaner.runOnce();
    assert.equal(summary.orphanShards, 1);
    assert.equal(summary.tempFiles, 1);
    assert.equal(stray.has(orphan), false);
    assert.equal(held(c), 8, 'only the live object\'s shards are left');
    assert.deepEqual(await c.read('_paths', 'kept').then((b) => b.length), 30_000);
  } finally {
    await c.close();
  }
});

/** Makes the store's commit of an object or a part fail as an outage would: after it was applied, or before. */
function outageAtCommit(c: Awaited<ReturnType<typeof memoryCluster>>, applied: boolean) {
  const roles = { objects: c.metadata.objects, multipart: c.metadata.multipart };
  const saved = { commit: roles.objects.commit, putPart: roles.multipart.putPart };
  // Patched on the store's own role objects, which the use cases call.
  const patch = (role: object, name: string, real: (...args: never[]) => Promise<unknown>) =>
    Object.assign(role, {
      [name]: async (...args: never[]) => {
        if (applied) await real.apply(role, args);
        throw new MetadataUnavailableError({ cause: new Error(applied ? 'the answer to COMMIT was lost' : 'connection refused') });
      },
    });
  patch(roles.objects, 'commit', saved.commit);
  patch(roles.multipart, 'putPart', saved.putPart);
  return () => {
    Object.assign(roles.objects, { commit: saved.commit });
    Object.assign(roles.multipart, { putPart: saved.putPart });
  };
}

test('a commit cut off by a metadata outage keeps its shards: an applied commit stays readable, one not applied is cleaned up', async () => {
  const c = await memoryCluster();
  try {
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 7 * 86_400_000, c.clock.now);
    await c.useCases.buckets.create('b');
    const upload = await c.useCases.multipart.begin({ bucket: 'b', key: 'big', contentType: null, headers: null });
    const partBody = randomBytes(20_000);
    const part = () => c.useCases.multipart.uploadPart({ upload, partNo: 1, body: (async function* () { yield partBody; })(), declaredSize: partBody.length, signal: new AbortController().signal });

    // Applied, but the answer was lost: the client gets the outage, and the object and part keep their data.
    let restore = outageAtCommit(c, true);
    const landed = randomBytes(30_000);
    await assert.rejects(c.put('landed', landed), MetadataUnavailableError);
    await assert.rejects(part(), MetadataUnavailableError);
    restore();
    assert.deepEqual(await c.read('_paths', 'landed'), landed, 'the commit the store applied reads exact');
    assert.equal((await c.useCases.multipart.parts(upload.id)).length, 1);
    assert.equal(held(c), 16);

    // Not applied: nothing is visible, and the shards wait under their intents for the cleaner.
    restore = outageAtCommit(c, false);
    await assert.rejects(c.put('lost', randomBytes(30_000)), MetadataUnavailableError);
    restore();
    assert.equal(await c.useCases.objects.findLive('_paths', 'lost'), undefined);
    assert.equal(held(c), 24, 'an unknown outcome deletes nothing at once');
    assert.equal((await cleaner.runOnce()).intentsCleared, 0, 'not within the grace');
    c.clock.advance(GRACE_MS + 1000);
    const summary = await cleaner.runOnce();
    assert.equal(summary.intentsCleared, 1, 'only the intent of the commit that did not happen is left');
    assert.equal(held(c), 16);
    assert.deepEqual(await c.read('_paths', 'landed'), landed);
    assert.equal((await c.useCases.multipart.parts(upload.id)).length, 1);

    // Any other failure of a commit is known not to have been applied: the shards go at once.
    Object.assign(c.metadata.objects, { commit: async () => Promise.reject(new Error('constraint violated')) });
    await assert.rejects(c.put('refused', randomBytes(30_000)), /constraint violated/);
    assert.equal(held(c), 16);
  } finally {
    await c.close();
  }
});

test('cleaner: an incomplete multipart upload expires after its time and its parts\' shards are freed', async () => {
  const c = await memoryCluster();
  try {
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 3_600_000, c.clock.now);
    await c.useCases.buckets.create('b');
    const upload = await c.useCases.multipart.begin({ bucket: 'b', key: 'big', contentType: null, headers: null });
    const body = randomBytes(20_000);
    await c.useCases.multipart.uploadPart({ upload, partNo: 1, body: (async function* () { yield body; })(), declaredSize: body.length, signal: new AbortController().signal });
    assert.equal(held(c), 8);
    assert.equal((await cleaner.runOnce()).multipartExpired, 0);
    // Records are stamped with the wall clock, a few milliseconds after the fake one started.
    c.clock.advance(3_600_000 + 60_000);
    const summary = await cleaner.runOnce();
    assert.equal(summary.multipartExpired, 1);
    assert.equal(summary.freedShards, 8);
    assert.equal(held(c), 0);
    assert.equal(await c.useCases.multipart.find(upload.id), undefined);
  } finally {
    await c.close();
  }
});

test('repairer: a node down longer than repair-after has its shards rebuilt elsewhere, and not before', async () => {
  const c = await memoryCluster({ nodes: 12 });
  try {
    const repairer = new Repairer(c.svc, 600_000, silentLog, c.clock.now);
    const body = randomBytes(80_000);
    const object = await c.put('photo', body);
    const lost = object.parts[0]!.shards[0]!.nodeId;
    c.pool.stop(lost);
    c.clock.advance(60_000);
    let summary = await repairer.runOnce();
    assert.deepEqual(summary.lostNodes, [], 'a node down for a minute may be restarting');
    c.clock.advance(600_000);
    summary = await repairer.runOnce();
    assert.deepEqual(summary.lostNodes, [lost]);
    assert.equal(summary.shardsRebuilt, 1);
    const repaired = (await c.useCases.objects.findLive('_paths', 'photo'))!;
    const holders = repaired.parts[0]!.shards.map((s) => s.nodeId);
    assert.ok(!holders.includes(lost), 'the lost node holds nothing of the part now');
    assert.equal(new Set(holders).size, 8, 'and the part is on 8 distinct nodes again');
    // Two more losses (m = 2) are survivable again.
    c.pool.stop(holders[1]!);
    c.pool.stop(holders[2]!);
    assert.deepEqual(await c.read('_paths', 'photo'), body);
    assert.equal((await repairer.runOnce({ downNowIsLost: true })).shardsRebuilt, 2, 'an operator\'s pass treats down nodes as lost now');
  } finally {
    await c.close();
  }
});

test('scrubber and repairer: a shard that rots on disk is found by a full sweep and rebuilt', async () => {
  const c = await memoryCluster();
  try {
    const scrubber = new Scrubber(c.svc, 1024 ** 3, 1024 ** 3, silentLog, c.clock.now);
    const repairer = new Repairer(c.svc, 600_000, silentLog, c.clock.now);
    const body = randomBytes(50_000);
    const object = await c.put('doc', body);
    const rotten = object.parts[0]!.shards[3]!;
    c.pool.node(rotten.nodeId).corrupt(rotten.shardId, 100);
    const missing = object.parts[0]!.shards[6]!;
    c.pool.node(missing.nodeId).lose(missing.shardId);

    const scrub = await scrubber.runOnce(true);
    assert.equal(scrub.shardsChecked, 6, 'the sound shards are read to their end');
    assert.equal(scrub.damaged, 2, 'the rotten and the missing shard are reported');
    assert.equal(scrub.wrapped, true);
    const repair = await repairer.runOnce();
    assert.equal(repair.shardsRebuilt, 2);
    assert.equal((await scrubber.runOnce(true)).damaged, 0, 'the next sweep finds every shard sound');
    const now = (await c.useCases.objects.findLive('_paths', 'doc'))!;
    assert.ok(!now.parts[0]!.shards.some((s) => s.shardId === rotten.shardId || s.shardId === missing.shardId));
    assert.deepEqual(await c.read('_paths', 'doc'), body);
  } finally {
    await c.close();
  }
});

test('deduper and cleaner: equal contents end up sharing one set of shards', async () => {
  const c = await memoryCluster();
  try {
    const deduper = new Deduper(c.metadata.sharing, c.audit, silentLog, c.clock.now);
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 7 * 86_400_000, c.clock.now);
    const body = randomBytes(40_000);
    await c.put('a', body);
    await c.put('b', body);
    await c.put('c', randomBytes(40_000));
    assert.equal(held(c), 24);
    const summary = await deduper.runOnce();
    assert.equal(summary.groups, 1);
    assert.equal(summary.objectsShared, 1);
    assert.equal(summary.shardsFreed, 8);
    assert.equal((await deduper.runOnce()).groups, 0, 'a second pass finds nothing more');
    await cleaner.runOnce();
    assert.equal(held(c), 16);
    assert.deepEqual(await c.read('_paths', 'a'), body);
    assert.deepEqual(await c.read('_paths', 'b'), body);
  } finally {
    await c.close();
  }
});

test('rebalancer: new empty nodes are filled until the spread is within the target, and every object reads back', async () => {
  const c = await memoryCluster({ capacity: 4 * 1024 ** 2 });
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) {
      const body = randomBytes(12_000 + i * 500);
      bodies.set(`o${i}`, body);
      await c.put(`o${i}`, body);
    }
    for (let i = 0; i < 4; i++) c.pool.add(4 * 1024 ** 2);
    const rebalancer = rebalancerOf(c);
    const summary = await rebalancer.runOnce(true);
    assert.ok(summary.spreadBefore > 0.5, `spread before ${summary.spreadBefore}`);
    assert.ok(summary.moves > 0);
    assert.ok(summary.spreadAfter < summary.spreadBefore, `spread after ${summary.spreadAfter}`);
    for (const node of c.pool.stores().slice(8)) assert.ok(node.ids().length > 0, `${node.id} took shards`);
    for (const [key, body] of bodies) assert.deepEqual(await c.read('_paths', key), body);
    const stillHeld = new Set((await Promise.all([...bodies.keys()].map((k) => c.useCases.objects.findLive('_paths', k)))).flatMap((o) => o!.parts[0]!.shards.map((s) => s.shardId)));
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 7 * 86_400_000, c.clock.now);
    await cleaner.runOnce();
    assert.equal(held(c), stillHeld.size, 'the moved shards\' old copies are removed');
  } finally {
    await c.close();
  }
});

test('failure domains: parts spread over machines, a whole machine can die, repair and rebalance keep the rule', async () => {
  // 8 nodes on 4 machines, two each.
  const c = await memoryCluster({ machines: ['m0', 'm0', 'm1', 'm1', 'm2', 'm2', 'm3', 'm3'] });
  try {
    const machineOf = (nodeId: string) => c.pool.list().find((n) => n.id === nodeId)!.machine!;
    const perMachine = async (key: string) => {
      const object = (await c.useCases.objects.findLive('_paths', key))!;
      const counts = new Map<string, number>();
      for (const s of object.parts[0]!.shards) counts.set(machineOf(s.nodeId), (counts.get(machineOf(s.nodeId)) ?? 0) + 1);
      return counts;
    };
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const body = randomBytes(9000 + i * 700);
      bodies.set(`d${i}`, body);
      await c.put(`d${i}`, body);
      assert.ok(Math.max(...(await perMachine(`d${i}`)).values()) <= 2, 'no machine holds more than m shards of a part');
    }
    // A whole machine dies: every object reads.
    c.pool.stop('node-01');
    c.pool.stop('node-02');
    for (const [key, body] of bodies) assert.deepEqual(await c.read('_paths', key), body);

    // A new machine with two nodes; the repair puts the lost machine's shards there, not on the survivors.
    c.pool.add(undefined, undefined, { machine: 'm4' });
    c.pool.add(undefined, undefined, { machine: 'm4' });
    const repair = await new Repairer(c.svc, 600_000, silentLog, c.clock.now).runOnce({ downNowIsLost: true });
    assert.equal(repair.unrecoverable, 0);
    for (const key of bodies.keys()) {
      const counts = await perMachine(key);
      assert.ok(!counts.has('m0'), `${key} left the dead machine`);
      assert.ok(Math.max(...counts.values()) <= 2, `${key}: ${[...counts]}`);
    }

    // Two more nodes join machine m1: a rebalance fills them but never gives m1 more than 2 shards of a part.
    c.pool.add(undefined, undefined, { machine: 'm1' });
    c.pool.add(undefined, undefined, { machine: 'm1' });
    const rebalance = await rebalancerOf(c).runOnce(true);
    assert.ok(rebalance.moves > 0, 'the new nodes took shards');
    for (const [key, body] of bodies) {
      assert.ok(Math.max(...(await perMachine(key)).values()) <= 2, `${key} after the rebalance`);
      assert.deepEqual(await c.read('_paths', key), body);
    }
  } finally {
    await c.close();
  }
});

test('drain: a draining node takes no new shard and the rebalancer moves every shard off it', async () => {
  const c = await memoryCluster({ nodes: 10 });
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 15; i++) {
      const body = randomBytes(7000 + i * 900);
      bodies.set(`k${i}`, body);
      await c.put(`k${i}`, body);
    }
    const before = await c.metadata.placement.countOnNode('node-01');
    assert.ok(before > 0);
    c.pool.setDrain('node-01', 'draining');
    for (let i = 0; i < 5; i++) {
      const object = await c.put(`new${i}`, randomBytes(20_000));
      assert.ok(!object.parts[0]!.shards.some((s) => s.nodeId === 'node-01'), 'no new shard on the draining node');
    }
    const rebalancer = rebalancerOf(c);
    const summary = await rebalancer.runOnce();
    assert.equal(summary.drained, before);
    assert.deepEqual(summary.stillDraining, []);
    assert.equal(await c.metadata.placement.countOnNode('node-01'), 0);
    await new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 7 * 86_400_000, c.clock.now).runOnce();
    assert.deepEqual(c.pool.node('node-01').ids(), [], 'the old copies are collected');
    for (const [key, body] of bodies) assert.deepEqual(await c.read('_paths', key), body);
    // Retired: out of the listings and of repair (a lost node would be repaired; a retired one is forgotten).
    c.pool.setDrain('node-01', 'retired');
    assert.ok(!c.pool.list().some((n) => n.id === 'node-01'));
    assert.deepEqual((await new Repairer(c.svc, 600_000, silentLog, c.clock.now).runOnce({ downNowIsLost: true })).lostNodes, []);
  } finally {
    await c.close();
  }
});

test('drain: a shard that no other node may take stays, and the node is reported still draining', async () => {
  // 8 nodes for 6 + 2: every part is on every node, so nothing can leave a draining node.
  const c = await memoryCluster({ nodes: 8 });
  try {
    await c.put('full', randomBytes(30_000));
    c.pool.setDrain('node-03', 'draining');
    const summary = await rebalancerOf(c).runOnce();
    assert.equal(summary.drained, 0);
    assert.deepEqual(summary.stillDraining, ['node-03']);
    assert.equal(await c.metadata.placement.countOnNode('node-03'), 1);
  } finally {
    await c.close();
  }
});

test('placement audit: parts placed before their nodes had machine labels are found, and the rebalancer spreads them', async () => {
  const c = await memoryCluster({ nodes: 10 });
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const body = randomBytes(6000 + i * 800);
      bodies.set(`p${i}`, body);
      await c.put(`p${i}`, body);
    }
    // Four of the nodes turn out to share one machine: with 7 machines, a part may have 2 shards on one.
    for (const id of ['node-01', 'node-02', 'node-03', 'node-04']) c.pool.relabel(id, { machine: 'big' });
    const auditor = new PlacementAuditor(c.svc, c.clock.now);
    const report = await auditor.report();
    assert.equal(report.machines, 7);
    assert.ok(report.partsOverLimit > 0, 'parts with 3 or 4 shards on the big machine');
    assert.ok(report.examples.every((e) => e.excesses.every((x) => x.level === 'machine' && x.domain === 'big' && x.shards > 2 && x.limit === 2)));
    const summary = await rebalancerOf(c).runOnce();
    assert.ok(summary.domainFixes >= report.partsOverLimit);
    assert.equal((await auditor.report()).partsOverLimit, 0, 'every part within the limits now');
    for (const [key, body] of bodies) assert.deepEqual(await c.read('_paths', key), body);
  } finally {
    await c.close();
  }
});

test('cleaner: lifecycle rules expire covered objects and abort old uploads at the midnight after their days, nothing else', async () => {
  const c = await memoryCluster();
  try {
    const cleaner = new Cleaner(c.metadata, c.pool, c.audit, GRACE_MS, silentLog, 30 * 86_400_000, c.clock.now);
    await c.useCases.buckets.create('logs');
    await c.useCases.buckets.create('other');
    const put = (key: string, headers: Record<string, string> | null = null, bucket = 'logs') =>
      c.useCases.objects.put({ bucket, key, headers, body: (async function* () { yield randomBytes(5000); })(), declaredSize: 5000, replace: true, signal: new AbortController().signal }, c.caller);
    await put('app/1.log');
    await put('app/2.log', { 'x-amz-tagging': 'tier=tmp' });
    await put('keep/1.log');
    await put('app/3.log', null, 'other');
    const upload = await c.useCases.multipart.begin({ bucket: 'logs', key: 'app/big', contentType: null, headers: null });
    const elsewhere = await c.useCases.multipart.begin({ bucket: 'logs', key: 'keep/big', contentType: null, headers: null });
    await c.metadata.buckets.configure('logs', 'lifecycle', [
      { id: 'app', enabled: true, prefix: 'app/', tags: [], expirationDays: 1, abortIncompleteDays: 2 },
      { id: 'tmp', enabled: true, prefix: '', tags: [{ key: 'tier', value: 'tmp' }], expirationDays: 1 },
      { id: 'off', enabled: false, prefix: 'keep/', tags: [], expirationDays: 1 },
    ]);

    let summary = await cleaner.runOnce();
    assert.deepEqual([summary.lifecycleExpired, summary.lifecycleAborted], [0, 0], 'nothing is a day old');
    // Past the midnight after a day: both app/ objects (one of them tagged), not keep/ (its rule is off), not another bucket's.
    c.clock.ms = Math.ceil((Date.now() + 86_400_000) / 86_400_000) * 86_400_000 + 1000;
    summary = await cleaner.runOnce();
    assert.equal(summary.lifecycleExpired, 2);
    assert.equal(summary.lifecycleAborted, 0, 'an upload has two days');
    assert.deepEqual((await c.metadata.objects.list('logs', { prefix: '', after: '', limit: 10 })).map((o) => o.key), ['keep/1.log']);
    assert.ok(await c.useCases.objects.findLive('other', 'app/3.log'));
    assert.ok((await c.metadata.audit.query({ action: 'expire', limit: 100 })).some((e) => e.client === 'lifecycle:app'));

    c.clock.advance(86_400_000);
    summary = await cleaner.runOnce();
    assert.equal(summary.lifecycleAborted, 1);
    assert.equal(await c.useCases.multipart.find(upload.id), undefined);
    assert.ok(await c.useCases.multipart.find(elsewhere.id), 'an upload outside the prefix stays');
    assert.equal((await cleaner.runOnce()).lifecycleExpired, 0, 'a second pass finds nothing more');
  } finally {
    await c.close();
  }
});
