import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of one process, in its own registry (passed in, never global). Names start
 * with `shardstore_`; routes are the router's patterns (`/*`, `/filestore/:id`), never raw paths, so
 * the label sets stay small.
 */
export interface HttpMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  /** Payload bytes received (uploads) and sent (downloads). */
  readonly bytes: Counter<'direction'>;
}

export function createHttpMetrics(process: 'gateway' | 'node'): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ process });
  collectDefaultMetrics({ register: registry, prefix: 'shardstore_' });
  return {
    registry,
    requests: new Counter({ name: 'shardstore_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    duration: new Histogram({
      name: 'shardstore_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
    }),
    bytes: new Counter({ name: 'shardstore_http_payload_bytes_total', help: 'Payload bytes moved, by direction (in: uploads, out: downloads)', labelNames: ['direction'], registers: [registry] }),
  };
}

/** What the gateway counts beyond HTTP: shard trouble, node fill and state, background jobs. */
export interface GatewayMetrics extends HttpMetrics {
  readonly shardReadFailures: Counter<'reason'>;
  readonly jobPasses: Counter<'job' | 'result'>;
  readonly jobDuration: Histogram<'job'>;
}

export function createGatewayMetrics(
  nodes: () => readonly { id: string; state: string; used: number; capacity: number; shards: number }[],
  /** Shard bytes the gateway has read from and written to nodes (counted by its node clients). */
  shardTraffic: { readonly read: number; readonly written: number } = { read: 0, written: 0 },
): GatewayMetrics {
  const http = createHttpMetrics('gateway');
  const { registry } = http;
  const perNode = (name: string, help: string, value: (n: { state: string; used: number; capacity: number; shards: number }) => number) =>
    new Gauge({
      name, help, labelNames: ['node'], registers: [registry],
      collect() {
        this.reset();
        for (const n of nodes()) this.set({ node: n.id }, value(n));
      },
    });
  perNode('shardstore_node_up', '1 if the node is up, 0 if down', (n) => (n.state === 'up' ? 1 : 0));
  perNode('shardstore_node_used_bytes', 'Bytes of shard files on the node (as of its last heartbeat)', (n) => n.used);
  perNode('shardstore_node_capacity_bytes', 'Declared capacity of the node', (n) => n.capacity);
  perNode('shardstore_node_fill_ratio', 'used / capacity', (n) => (n.capacity > 0 ? n.used / n.capacity : 0));
  perNode('shardstore_node_shards', 'Shard files on the node', (n) => n.shards);
  new Counter({
    name: 'shardstore_shard_traffic_bytes_total',
    help: 'Shard bytes between this gateway and the nodes, by direction (read: from nodes, written: to nodes); rebuilds done by the nodes themselves add nothing',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ direction: 'read' }, shardTraffic.read);
      this.inc({ direction: 'written' }, shardTraffic.written);
    },
  });
  return {
    ...http,
    shardReadFailures: new Counter({
      name: 'shardstore_shard_read_failures_total', help: 'Shard reads replaced by parity, by reason (corrupt, missing, unreachable)', labelNames: ['reason'], registers: [registry],
    }),
    jobPasses: new Counter({ name: 'shardstore_job_passes_total', help: 'Background job passes by job and result', labelNames: ['job', 'result'], registers: [registry] }),
    jobDuration: new Histogram({ name: 'shardstore_job_duration_seconds', help: 'Duration of background job passes', labelNames: ['job'], registers: [registry], buckets: [0.01, 0.1, 1, 10, 60, 600, 3600] }),
  };
}
