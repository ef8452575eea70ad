import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicRunner } from './periodic-runner.js';
import { openSqliteStore } from '../metadata/sqlite/sqlite-store.js';
import { createLogger } from '../observability/logger.js';

test('two gateways on one store: only the lease holder runs the periodic job; runNow does not overlap', async () => {
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
  await new Promise((r) => setTimeout(r, 45));
  b.start();
  await new Promise((r) => setTimeout(r, 300));
  await a.stop();
  await b.stop();
  assert.ok(runs.a >= 3, `the holder ran ${runs.a} times`);
  assert.equal(runs.b, 0, 'the other gateway never ran it');

  const c = new PeriodicRunner(worker('a'), store.leases, 60_000, log);
  const [x, y] = await Promise.all([c.runNow(), c.runNow()]);
  assert.equal(x, y, 'a second runNow during a pass gets the same pass');
  await c.stop();
  await store.close();
});
