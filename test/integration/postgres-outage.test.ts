import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../helpers/local-cluster.js';
import { ThrowawayPostgres } from '../helpers/throwaway-postgres.js';
import { pause, waitUntil } from '../helpers/wait.js';

/** How long the database stays dead: the fault itself, not a wait for an outcome. */
const holdOutage = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gatewayAlive(cluster: LocalCluster | undefined): boolean {
  try {
    return cluster !== undefined && process.kill(cluster.state.gateway.pid, 0);
  } catch {
    return false;
  }
}

/** The gateway's log, a line per entry (empty when it wrote none). */
function gatewayLog(cluster: LocalCluster | undefined): string[] {
  const log = cluster ? join(cluster.dir, 'logs', 'gateway.log') : '';
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
}

/** Adds to a failure what the gateway said last: what tells a product fault from a slow machine. */
function withLogTail(error: unknown, cluster: LocalCluster | undefined, lines: readonly string[]): void {
  const tail = lines.length ? lines.slice(-60).map((l) => l.slice(0, 400)).join('\n') : '(no log)';
  (error as Error).message += `\ngateway ${gatewayAlive(cluster) ? 'alive' : 'gone'}; its log ends:\n${tail}`;
}

/**
 * Six writers keep uploading while the metadata database is restarted and killed. The gateway must never
 * exit, answer only 201 or 503 METADATA_UNAVAILABLE (never a 500, never "not enough nodes"), lose nothing it
 * acknowledged, and store again within 3 s of the database's return.
 */
test('a gateway on PostgreSQL rides out a fast restart and kill -9 outages of 3 s and 20 s', async () => {
  const pg = await ThrowawayPostgres.create();
  let cluster: LocalCluster | undefined;
  let writing = true;
  /** Keys whose upload got no answer: their requests' lines in the gateway log tell where they waited. */
  const unanswered: string[] = [];
  try {
    cluster = await LocalCluster.start(8, ['--db', pg.url]);
    const { url } = cluster;
    const gatewayPid = cluster.state.gateway.pid;
    const acked = new Map<string, Buffer>();
    const answers = new Map<string, number>();
    let lastCreated = 0;
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const key = `outage/w${w}/${n}`;
        const body = randomBytes(20_000 + ((w * 7919 + n * 104729) % 180_000));
        let answer: string;
        try {
          const res = await fetch(`${url}/${key}`, { method: 'POST', body, signal: AbortSignal.timeout(20_000) });
          const error = res.status === 201 ? '' : ((await res.json()) as { error: string }).error;
          if (res.status === 201) {
            await res.arrayBuffer().catch(() => undefined);
            acked.set(key, body);
            lastCreated = Date.now();
          } else {
            assert.equal(res.headers.get('retry-after'), '2', `${res.status} ${error} has Retry-After`);
          }
          answer = res.status === 201 ? '201' : `${res.status} ${error}`;
        } catch (error) {
          answer = `no answer: ${(error as Error).message}`;
          unanswered.push(key);
          await pause(100);
        }
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      }
    };
    const logFile = join(cluster.dir, 'logs', 'gateway.log');
    const lines = () => readFileSync(logFile, 'utf8').split('\n');
    const count = (text: string) => lines().filter((l) => l.includes(text)).length;
    const started = 'metadata store unreachable; answering 503';
    const ended = 'metadata store reachable again';
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    /** How long after the database is back the first upload is acknowledged. */
    const recovery = async (back: number) => {
      while (lastCreated < back) {
        assert.ok(Date.now() - back < 10_000, 'no upload stored within 10 s of the database coming back');
        await pause(20);
      }
      return lastCreated - back;
    };

    /** Waits until the writers have had `n` more uploads acknowledged. */
    const stored = async (n: number) => {
      const target = acked.size + n;
      await waitUntil(() => acked.size >= target, 30_000, `${n} more acknowledged uploads`);
    };
    await stored(20);
    pg.restartFast();
    const afterRestart = await recovery(Date.now());

    await stored(10);
    await pg.killHard();
    await holdOutage(3000);
    pg.start();
    const afterShort = await recovery(Date.now());

    await stored(10);
    // The next outage starts only once this one has been logged as over (a second of successes, see
    // src/metadata/availability.ts); a kill within that second would rightly be the same outage.
    await waitUntil(() => count(started) > 0 && count(started) === count(ended), 15_000, 'the 3 s outage to be logged as over');
    await pg.killHard();
    const killedAt = Date.now();
    // Health that tells the truth: the process lives, but it is not ready, and says why.
    await waitUntil(async () => (await fetch(`${url}/_health/ready`)).status === 503, 10_000, 'readiness to see the outage');
    assert.equal((await fetch(`${url}/_health/live`)).status, 200);
    const down = await fetch(`${url}/_health/ready`);
    assert.equal(down.status, 503);
    const downBody = (await down.json()) as { status: string; metadata: { ok: boolean }; message: string };
    assert.equal(downBody.status, 'unavailable');
    assert.equal(downBody.metadata.ok, false);
    assert.match(downBody.message, /metadata store is unreachable/);
    assert.equal((await fetch(`${url}/_health`)).status, 503, '/_health is readiness');
    await holdOutage(20_000 - (Date.now() - killedAt));
    pg.start();
    const afterLong = await recovery(Date.now());
    const up = (await (await fetch(`${url}/_health/ready`)).json()) as { status: string; metadata: { ok: boolean } };
    assert.deepEqual([up.status, up.metadata.ok], ['ready', true]);
    await stored(10);
    writing = false;
    await Promise.all(writers);

    const summary = JSON.stringify(Object.fromEntries(answers));
    assert.doesNotThrow(() => process.kill(gatewayPid, 0), `the gateway process is alive (${summary})`);
    for (const [answer] of answers) assert.ok(answer === '201' || answer === '503 METADATA_UNAVAILABLE', `unexpected answer ${answer} (${summary})`);
    assert.ok((answers.get('503 METADATA_UNAVAILABLE') ?? 0) > 0, `the outages were seen (${summary})`);
    for (const [label, ms] of [['fast restart', afterRestart], ['3 s outage', afterShort], ['20 s outage', afterLong]] as const) {
      assert.ok(ms < 3000, `first 201 ${ms} ms after the ${label}`);
    }
    for (const [key, data] of acked) {
      const res = await fetch(`${url}/${key}`);
      assert.equal(res.status, 200, key);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data), `${key} exact`);
    }
    assert.ok(acked.size > 50, `${acked.size} objects acknowledged`);
    // One line when an outage starts and one when it ends, not one per failed request. An outage is over
    // only after a second of successes (src/metadata/availability.ts), so its end may still be due here.
    const outages = count(started);
    const timeline = () => lines().filter((l) => l.includes(started) || l.includes(ended)).map((l) => l.slice(0, 200)).join('\n');
    assert.ok(outages >= 2 && outages <= 3, `${outages} outages logged:\n${timeline()}`);
    await waitUntil(() => count(ended) >= outages, 10_000, `the end of every outage logged:\n${timeline()}`).catch(() => undefined);
    assert.equal(count(ended), outages, `one end per outage:\n${timeline()}`);
    assert.equal(count('could not write the action log'), 0, 'action-log entries wait for the store');
  } catch (error) {
    const logLines = gatewayLog(cluster);
    // Every line of a request that got no answer (its access line names the key, the rest share its reqId).
    const reqIds = new Set(unanswered.flatMap((key) => logLines.filter((l) => l.includes(`/${key} `)).map((l) => /"reqId":"([^"]+)"/.exec(l)?.[1] ?? '')));
    reqIds.delete('');
    const hung = logLines.filter((l) => [...reqIds].some((id) => l.includes(`"reqId":"${id}"`))).map((l) => l.slice(0, 600));
    (error as Error).message += `\nunanswered ${unanswered.join(', ') || 'none'}; their log lines:\n${hung.join('\n') || '(none)'}`;
    withLogTail(error, cluster, logLines);
    throw error;
  } finally {
    writing = false;
    await cluster?.stop();
    pg.destroy();
  }
});

/**
 * A database that stops answering without closing its connections (SIGSTOP: a paused VM, a stalled disk,
 * a network cut off) must not hold requests for ever: with `--db-timeout`, every request gets its answer
 * (201, 200 or 503) within a few seconds while it is frozen, and once it thaws nothing is lost — also not
 * an upload whose COMMIT was sent just before the freeze and applied after its client was told 503.
 */
test('a gateway on PostgreSQL answers within its --db-timeout while the database is frozen, and loses nothing', async () => {
  const pg = await ThrowawayPostgres.create();
  let cluster: LocalCluster | undefined;
  let running = true;
  try {
    cluster = await LocalCluster.start(8, ['--db', pg.url, '--db-timeout', '2000']);
    const { url } = cluster;
    const sent = new Map<string, Buffer>();
    const acked = new Set<string>();
    /** Answers by kind, and the slowest answer seen while the database was frozen. */
    const answers = new Map<string, number>();
    let frozenSince = 0;
    let slowestWhileFrozen = 0;
    const timed = async (request: () => Promise<string>) => {
      const started = Date.now();
      let answer: string;
      try {
        answer = await request();
      } catch (error) {
        answer = `no answer: ${(error as Error).message}`;
        await pause(100);
      }
      if (frozenSince > 0 && started >= frozenSince) slowestWhileFrozen = Math.max(slowestWhileFrozen, Date.now() - started);
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
      return answer;
    };
    const statusOf = async (res: Response) => {
      const error = res.status >= 400 ? ((await res.json()) as { error: string }).error : (await res.arrayBuffer(), '');
      return `${res.status}${error ? ' ' + error : ''}`;
    };
    const known = randomBytes(50_000);
    assert.equal((await fetch(`${url}/frozen/known`, { method: 'POST', body: known })).status, 201);
    const writer = async (w: number) => {
      for (let n = 0; running; n++) {
        const key = `frozen/w${w}/${n}`;
        const body = randomBytes(20_000 + ((w * 7919 + n * 104729) % 180_000));
        sent.set(key, body);
        const answer = await timed(async () => statusOf(await fetch(`${url}/${key}`, { method: 'POST', body, signal: AbortSignal.timeout(30_000) })));
        if (answer === '201') acked.add(key);
      }
    };
    const reader = async () => {
      while (running) {
        await timed(async () => {
          const res = await fetch(`${url}/frozen/known`, { signal: AbortSignal.timeout(30_000) });
          if (res.status !== 200) return statusOf(res);
          return Buffer.from(await res.arrayBuffer()).equals(known) ? '200' : '200 with wrong bytes';
        });
      }
    };
    const clients = [...Array.from({ length: 4 }, (_, w) => writer(w)), reader()];
    await waitUntil(() => acked.size >= 10, 30_000, '10 acknowledged uploads');

    pg.freeze();
    frozenSince = Date.now();
    await waitUntil(async () => (await fetch(`${url}/_health/ready`)).status === 503, 10_000, 'readiness to see the frozen database');
    await holdOutage(12_000 - (Date.now() - frozenSince));
    const frozenAnswers = answers.get('503 METADATA_UNAVAILABLE') ?? 0;
    pg.thaw();
    const thawedAt = Date.now();
    const before = acked.size;
    await waitUntil(() => acked.size >= before + 10, 15_000, '10 more acknowledged uploads after the thaw');
    const recovery = Date.now() - thawedAt;
    running = false;
    await Promise.all(clients);

    const summary = JSON.stringify(Object.fromEntries(answers));
    for (const [answer] of answers) assert.ok(['200', '201', '503 METADATA_UNAVAILABLE'].includes(answer), `unexpected answer ${answer} (${summary})`);
    assert.ok(frozenAnswers > 0, `503s while frozen (${summary})`);
    // The deadline (2 s) for the statement under way, and at most a connect timeout (3 s) for the next: a
    // request held until the thaw would have taken the rest of the 12 s freeze.
    assert.ok(slowestWhileFrozen < 8000, `slowest answer while frozen ${slowestWhileFrozen} ms (${summary})`);
    assert.ok(recovery < 10_000, `stored again ${recovery} ms after the thaw`);
    // Every upload the gateway acknowledged reads exact; one it answered 503 is either absent or exact.
    for (const [key, body] of sent) {
      const res = await fetch(`${url}/${key}`);
      if (acked.has(key)) assert.equal(res.status, 200, `${key} was acknowledged`);
      else assert.ok(res.status === 200 || res.status === 404, `${key}: ${res.status}`);
      if (res.status === 200) assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${key} exact`);
      else await res.arrayBuffer();
    }
    assert.doesNotThrow(() => process.kill(cluster!.state.gateway.pid, 0), 'the gateway process is alive');
  } catch (error) {
    withLogTail(error, cluster, gatewayLog(cluster));
    throw error;
  } finally {
    running = false;
    pg.thaw();
    await cluster?.stop();
    pg.destroy();
  }
});
