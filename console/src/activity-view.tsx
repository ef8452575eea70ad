import { useEffect, useState } from 'preact/hooks';
import { ACTIONS, adminGet, adminText, query, type LogEntry } from './admin-api.js';
import { bytes } from './format.js';
import { parseMetrics, trafficTotals } from './prometheus.js';
import { RateChart } from './rate-chart.js';
import { usePolling } from './use-polling.js';

const POINTS = 90;
const EVERY_MS = 2000;

interface Traffic { times: number[]; requests: number[]; bytesIn: number[]; bytesOut: number[] }

/** Request rate and throughput from the gateway's own metrics, sampled every 2 s while the view is open. */
function useTraffic(): Traffic {
  const [traffic, setTraffic] = useState<Traffic>({ times: [], requests: [], bytesIn: [], bytesOut: [] });
  useEffect(() => {
    let last: { at: number; totals: ReturnType<typeof trafficTotals> } | undefined;
    let live = true;
    const tick = async () => {
      try {
        const totals = trafficTotals(parseMetrics(await adminText('/_metrics')));
        const at = Date.now();
        if (last && live) {
          const seconds = (at - last.at) / 1000;
          const rate = (now: number, before: number) => Math.max(0, now - before) / seconds;
          const previous = last.totals;
          setTraffic((t) => ({
            times: [...t.times, at / 1000].slice(-POINTS),
            requests: [...t.requests, rate(totals.apiRequests, previous.apiRequests)].slice(-POINTS),
            bytesIn: [...t.bytesIn, rate(totals.bytesIn, previous.bytesIn)].slice(-POINTS),
            bytesOut: [...t.bytesOut, rate(totals.bytesOut, previous.bytesOut)].slice(-POINTS),
          }));
        }
        last = { at, totals };
      } catch {
        // The next tick tries again; a lost session shows in the log table's polling.
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return traffic;
}

/** The action log, filterable by action and object, and the gateway's request rate and throughput. */
export function ActivityView() {
  const [action, setAction] = useState('');
  const [object, setObject] = useState('');
  const traffic = useTraffic();
  const params: Record<string, string> = { limit: '200' };
  if (action) params['action'] = action;
  if (object.trim()) params['object'] = object.trim();
  const log = usePolling(() => adminGet<{ entries: LogEntry[] }>(`/_log?${query(params)}`), 3000, `${action}|${object}`);
  return (
    <section>
      <div class="charts">
        <RateChart title="Requests / s (path, file store and S3 APIs)" times={traffic.times} series={[{ label: 'requests', color: '#38bdf8', values: traffic.requests }]} format={(v) => v.toFixed(v < 10 ? 1 : 0)} />
        <RateChart
          title="Throughput"
          times={traffic.times}
          series={[
            { label: 'in (uploads)', color: '#4ade80', values: traffic.bytesIn },
            { label: 'out (downloads)', color: '#fbbf24', values: traffic.bytesOut },
          ]}
          format={(v) => `${bytes(v)}/s`}
        />
      </div>
      <h2>Action log</h2>
      <div class="toolbar">
        <label>
          Action{' '}
          <select aria-label="Action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Object{' '}
          <input aria-label="Object id" class="mono" placeholder="object id" value={object} onInput={(e) => setObject((e.target as HTMLInputElement).value)} />
        </label>
        {log.error && <span class="problem">{log.error}</span>}
      </div>
      <table class="log">
        <thead>
          <tr><th>Time</th><th>Action</th><th>Object</th><th>Client</th><th>Bytes</th><th>ms</th><th>Result</th></tr>
        </thead>
        <tbody>
          {log.value?.entries.map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td class="muted">{new Date(e.time).toLocaleString('en-GB')}</td>
              <td><span class="badge joining">{e.action}</span></td>
              <td>
                {e.object === null ? (
                  <span class="muted" title="no object was stored">—</span>
                ) : (
                  <a href="#activity" class="mono" title="only this object" onClick={(ev) => (ev.preventDefault(), setObject(e.object!))}>{e.object.slice(0, 8)}</a>
                )}{' '}
                <span class="muted">{[e.bucket, e.key].filter((part) => part !== null).join('/')}</span>
              </td>
              <td class="muted">{e.client ?? ''}</td>
              <td>{bytes(e.bytes)}</td>
              <td>{e.duration_ms}</td>
              <td class={e.result === 'ok' ? 'muted' : 'problem'}>{e.result}</td>
            </tr>
          ))}
          {log.value && log.value.entries.length === 0 && (
            <tr><td colSpan={7} class="muted">No entries.</td></tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
