/** One sample of Prometheus text format: name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = v!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Totals the gateway's counters that the activity charts plot as rates. */
export function trafficTotals(samples: Sample[]): { apiRequests: number; bytesIn: number; bytesOut: number } {
  let apiRequests = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  for (const s of samples) {
    // Requests of the public APIs: system endpoints (the console's own polling among them) start with '/_'.
    if (s.name === 'shardstore_http_requests_total' && !(s.labels['route'] ?? '').startsWith('/_')) apiRequests += s.value;
    if (s.name === 'shardstore_http_payload_bytes_total') {
      if (s.labels['direction'] === 'in') bytesIn += s.value;
      else if (s.labels['direction'] === 'out') bytesOut += s.value;
    }
  }
  return { apiRequests, bytesIn, bytesOut };
}
