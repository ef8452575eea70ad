import type { Logger } from '../observability/logger.js';
import { bearer, REGISTER_PATH, type NodeReport } from '../node-protocol/protocol.js';

/**
 * Registers the node with the gateway and repeats the registration as a heartbeat, so a node started
 * at any time joins the running cluster, and the gateway sees fresh capacity, usage and shard counts.
 */
export function startHeartbeat(opts: {
  gateway: string;
  secret: string;
  intervalMs: number;
  report: () => NodeReport;
  log: Logger;
}): { stop: () => void; registered: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let wasUp = false;
  let resolveRegistered!: () => void;
  const registered = new Promise<void>((r) => (resolveRegistered = r));
  const url = new URL(REGISTER_PATH, opts.gateway).toString();

  const beat = async () => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: bearer(opts.secret), 'content-type': 'application/json' },
        body: JSON.stringify(opts.report()),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`gateway answered ${res.status}: ${text}`);
      if (!wasUp) opts.log.info({ gateway: opts.gateway }, 'registered with the gateway');
      wasUp = true;
      resolveRegistered();
    } catch (error) {
      if (wasUp || !stopped) opts.log.warn({ gateway: opts.gateway, err: (error as Error).message }, 'heartbeat failed');
      wasUp = false;
    } finally {
      if (!stopped) timer = setTimeout(beat, opts.intervalMs);
    }
  };
  void beat();
  return {
    registered,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
