import { adminGet, JOBS, type JobStatus, type NodeInfo } from './admin-api.js';
import { ago, bytes, percent, summary } from './format.js';
import { usePolling } from './use-polling.js';

interface Ready {
  status: 'ready' | 'degraded' | 'unavailable';
  redundancy: { survivesNodeLosses: number; machines: number; survivesMachineLosses: number; writable: boolean; full: boolean };
  message: string;
}

interface ClusterState {
  nodes: NodeInfo[];
  balance: { spread: number; limitedBy: string | null };
  ready: Ready;
  stats: { objects: number; bytes: number; sharedBytes: number };
  jobs: { title: string; status: JobStatus }[];
}

async function loadCluster(): Promise<ClusterState> {
  const [{ nodes, balance }, stats, ready, ...jobs] = await Promise.all([
    adminGet<{ nodes: NodeInfo[]; balance: ClusterState['balance'] }>('/_nodes'),
    adminGet<{ objects: number; bytes: number; sharedBytes: number }>('/_stats'),
    readiness(),
    ...JOBS.map((j) => adminGet<JobStatus>(j.path)),
  ]);
  return { nodes, balance, stats, ready, jobs: JOBS.map((j, i) => ({ title: j.title, status: jobs[i]! })) };
}

/** With nodes on several machines, some sharing one: how many whole machines a new object survives losing. */
function machineNote(r: Ready['redundancy']): string | undefined {
  if (r.machines <= 1) return undefined;
  return `and ${r.survivesMachineLosses} machine loss${r.survivesMachineLosses === 1 ? '' : 'es'} of ${r.machines} machines`;
}

/** `/_health/ready` answers 503 when nothing can be stored: still an answer to show. */
async function readiness(): Promise<Ready> {
  const res = await fetch('/_health/ready');
  return (await res.json()) as Ready;
}

const fill = (n: NodeInfo) => (n.capacity > 0 ? n.used / n.capacity : 0);

/** Every node as a bar of used / capacity with its state, the fill spread, totals and the background jobs. */
export function ClusterView() {
  const { value, error, at } = usePolling(loadCluster, 2000);
  if (!value) return <p class="muted">{error ?? 'Loading…'}</p>;
  const nodes = [...value.nodes].sort((a, b) => a.url.localeCompare(b.url, 'en', { numeric: true }));
  const up = nodes.filter((n) => n.state === 'up');
  const fills = up.map(fill);
  const mean = fills.reduce((a, b) => a + b, 0) / Math.max(1, fills.length);
  // As the rebalancer measures it (README): (fullest − emptiest) / mean; it moves shards above 10 %, down to 5 %.
  const spread = mean > 0 ? (Math.max(...fills) - Math.min(...fills)) / mean : 0;
  const used = nodes.reduce((s, n) => s + n.used, 0);
  const capacity = nodes.reduce((s, n) => s + n.capacity, 0);
  const shards = nodes.reduce((s, n) => s + n.shards, 0);
  return (
    <section>
      {error && <p class="problem" role="alert">Refresh failed: {error}</p>}
      <div class="cards">
        <Card label="Nodes up" value={`${up.length} / ${nodes.length}`} warn={up.length < nodes.length} testid="nodes-up" />
        <Card label="Objects" value={value.stats.objects.toLocaleString('en')} testid="objects" />
        <Card label="Bytes stored" value={bytes(value.stats.bytes)} testid="bytes-stored" />
        <Card label="Saved by deduplication" value={bytes(value.stats.sharedBytes)} testid="dedup-savings" />
        <Card label="Raw used (data + parity)" value={`${bytes(used)} of ${bytes(capacity)}`} />
        <Card label="Shards" value={shards.toLocaleString('en')} />
        <Card
          label="Fill spread (up nodes)"
          value={`${(spread * 100).toFixed(1)} %`}
          warn={spread > 0.1 && !value.balance.limitedBy}
          testid="fill-spread"
          note={value.balance.limitedBy ? `as even as placement allows: ${value.balance.limitedBy}` : undefined}
        />
        <Card
          label="Redundancy of new objects"
          value={value.ready.redundancy.writable ? `survives ${value.ready.redundancy.survivesNodeLosses} node loss${value.ready.redundancy.survivesNodeLosses === 1 ? '' : 'es'}` : 'uploads refused'}
          warn={!value.ready.redundancy.full}
          testid="redundancy"
          note={value.ready.redundancy.full ? machineNote(value.ready.redundancy) : value.ready.message.replace(/^[^(]*\(|\)$/g, '')}
        />
      </div>
      <h2>Nodes</h2>
      <table class="nodes">
        <thead>
          <tr><th>Node</th><th>State</th><th>Zone / machine</th><th class="bar-col">Used / capacity</th><th>Shards</th><th>Last seen</th></tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.id} data-node={n.id} data-state={n.state} data-activity={n.activity ?? ''}>
              <td><span class="mono">{n.id.slice(0, 8)}</span> <span class="muted">{n.url}</span></td>
              <td>
                <span class={`badge ${n.state}`}>{n.state}</span>
                {n.activity && <span class="badge joining activity">{n.activity}{n.drainRemaining !== undefined ? ` · ${n.drainRemaining.toLocaleString('en')} left` : ''}</span>}
              </td>
              <td class="muted" data-domains>{n.zone ?? 'default'} / {n.machine ?? '—'}</td>
              <td class="bar-col">
                <div class="bar" title={`${bytes(n.used)} of ${bytes(n.capacity)}`}>
                  <div class="bar-fill" style={{ width: `${Math.min(100, fill(n) * 100)}%` }} />
                </div>
                <span class="muted">{bytes(n.used)} · {percent(fill(n))}</span>
              </td>
              <td>{n.shards.toLocaleString('en')}</td>
              <td class="muted">{ago(n.lastSeen, at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Background jobs</h2>
      <table class="jobs">
        <thead>
          <tr><th>Job</th><th>Now</th><th>Last pass</th><th>Result</th></tr>
        </thead>
        <tbody>
          {value.jobs.map(({ title, status }) => (
            <tr key={title}>
              <td>{title}</td>
              <td data-job-state={status.running ? 'running' : 'idle'}>
                {status.running ? <span class="badge joining">running for {ago(status.runningSince!, at).replace(' ago', '')}</span> : <span class="muted">idle</span>}
                {status.progress && <div class="muted progress">{progressLine(status.progress, status.runningSince!, at)}</div>}
              </td>
              <td class="muted">{status.last ? ago(status.last.finishedAt, at) : 'never'}</td>
              <td class={status.last?.error ? 'problem' : 'muted'} data-job-result={title}>
                {status.last ? (status.last.error ?? summary(status.last.summary)) : ''}
                {reasonOf(status.last?.summary) && <div class="note">{reasonOf(status.last?.summary)}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A running pass's counters so far and its byte rate (the first counter of bytes over the time it has run). */
function progressLine(progress: Record<string, unknown>, since: string, now: number): string {
  const seconds = Math.max(1, (now - Date.parse(since)) / 1000);
  const bytesKey = Object.keys(progress).find((k) => /^bytes/.test(k) && typeof progress[k] === 'number');
  const rate = bytesKey ? ` · ${bytes((progress[bytesKey] as number) / seconds)}/s` : '';
  const counters = Object.fromEntries(Object.entries(progress).filter(([k]) => k !== 'durationMs'));
  return `${summary(counters)}${rate}`;
}

/** Why a pass stopped short, when its summary says (the rebalancer's `reason`). */
function reasonOf(summaryValue: unknown): string | undefined {
  const reason = (summaryValue as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

function Card(props: { label: string; value: string; warn?: boolean; testid?: string; note?: string | undefined }) {
  return (
    <div class={`card${props.warn ? ' warn' : ''}`}>
      <div class="muted">{props.label}</div>
      <div class="card-value" data-testid={props.testid}>{props.value}</div>
      {props.note && <div class="note muted" data-testid={props.testid ? `${props.testid}-note` : undefined}>{props.note}</div>}
    </div>
  );
}
