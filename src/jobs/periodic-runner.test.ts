import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicRunner } from './periodic-runner.js';
import { JobBusyError } from '../core/errors.js';
import { openSqliteStore } from '../metadata/sqlite/sqlite-store.js';
import { createLogger } from '../observability/logger.js';

/** Moves the mocked clock by `ms` in small steps, letting the promises that each timer starts settle between them. */
async function advance(t: TestContext, ms: number, step = 5): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    t.mock.timers.tick(step);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('two gateways on one store: only the lease holder runs the periodic job; runNow does not overlap', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.UTC(2026, 0, 1) });
  const store = openSqliteStore(':memory:');
  const log = createLogger('test', 'silent');
  const runs = { a: 0, b: 0 };
  const worker = (name: 'a' | 'b') => ({
    name: 'cleaner',
    runOnce: async () => {
      runs[name] += 1;
      await new Promise((r) => setTimeout(r, 5));
      return runs[name];
    },
  });
  const a = new PeriodicRunner(worker('a'), store.leases, 30, log);
  const b = new PeriodicRunner(worker('b'), store.leases, 30, log);
  a.start();
  await advance(t, 45);
  b.start();
  await advance(t, 300);
  assert.ok(runs.a >= 9 && runs.a <= 12, `the holder ran every 30 ms of its clock: ${runs.a} passes in 345 ms`);
  assert.equal(runs.b, 0, 'the other gateway never ran it');
  const stopped = Promise.all([a.stop(), b.stop()]);
  await advance(t, 10);
  await stopped;

  const c = new PeriodicRunner(worker('a'), store.leases, 60_000, log);
  const both = Promise.all([c.runNow(), c.runNow()]);
  await advance(t, 10);
  const [x, y] = await both;
  assert.equal(x, y, 'a second runNow during a pass gets the same pass');
  await c.stop();
  await store.close();
});

test('a pass holds its pass lease: another runner of the job is refused with the holder, and the pass gets its fence', async () => {
  const store = openSqliteStore(':memory:');
  const log = createLogger('test', 'silent');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const worker = { name: 'repair', runOnce: async () => 'done' };
  const a = new PeriodicRunner(worker, store.leases, 60_000, log);
  const b = new PeriodicRunner(worker, store.leases, 60_000, log);
  let seen: { lease: string; holder: string } | undefined;
  const { pass } = await a.begin(async (fence) => {
    seen = fence;
    await gate;
    return 'a';
  });
  assert.equal(seen!.lease, 'repair:pass');
  assert.deepEqual((await store.leases.holderOf('repair:pass', Date.now()))?.holder, seen!.holder);
  await assert.rejects(b.runNow(), (error: unknown) => error instanceof JobBusyError && error.holder === seen!.holder);
  release();
  assert.equal(await pass, 'a');
  assert.equal(await store.leases.holderOf('repair:pass', Date.now()), undefined, 'released when the pass ends');
  assert.equal(await b.runNow(), 'done', 'then the other runner may run it');
  assert.deepEqual(b.status().history.map((p) => p.holder), [b.status().holder]);
  await a.stop();
  await b.stop();
  await store.close();
});
