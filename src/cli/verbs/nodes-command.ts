import type { Command } from 'commander';
import { call, failureFrom, readText, runClientCommand, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

interface NodeRow { id: string; url: string; state: string; zone?: string | null; machine?: string | null; capacity: number; used: number; shards: number; lastSeen: string }

const BAR = 20;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** One line per node: id, URL, state, its failure domains (zone/machine), a fill bar with used / capacity, shard count. */
export function nodesTable(nodes: readonly NodeRow[]): string {
  const rows = nodes.map((n) => {
    const fill = n.capacity > 0 ? n.used / n.capacity : 0;
    const filled = Math.round(Math.min(fill, 1) * BAR);
    return [n.id, n.url, n.state, `${n.zone ?? 'default'}/${n.machine ?? '-'}`, `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(fill * 100).toFixed(1)}%`, `${gib(n.used)} / ${gib(n.capacity)}`, String(n.shards)];
  });
  const header = ['ID', 'URL', 'STATE', 'ZONE/MACHINE', 'FILL', 'USED / CAPACITY', 'SHARDS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** The fill spread under the table, and why it stays when the rebalancer found nothing more to move. */
export function balanceLine(balance: { spread: number; limitedBy: string | null } | undefined): string {
  if (!balance) return '';
  const spread = `fill spread ${(balance.spread * 100).toFixed(1)}%`;
  return balance.limitedBy ? `${spread}, as even as placement allows: ${balance.limitedBy}\n` : `${spread}\n`;
}

export function addNodesCommand(program: Command): void {
  const nodes = withGatewayOptions(program.command('nodes'))
    .description('list the storage nodes: state, failure domains, fill and shards (admin token); drain, undrain or retire one')
    .option('--json', 'print the JSON answer of GET /_nodes')
    .action((opts: ClientOptions & { json?: boolean }) =>
      runClientCommand('nodes', async () => {
        const response = await call(opts, 'GET', '/_nodes');
        if (response.statusCode !== 200) throw await failureFrom(response);
        const text = await readText(response);
        if (opts.json) process.stdout.write(`${text.trim()}\n`);
        else {
          const listing = JSON.parse(text) as { nodes: NodeRow[]; balance?: { spread: number; limitedBy: string | null } };
          process.stdout.write(nodesTable(listing.nodes) + balanceLine(listing.balance));
        }
      }),
    );
  const verb = (name: string, description: string, method: string, path: (id: string) => string, say: (answer: { id: string; remaining?: number }) => string) =>
    withGatewayOptions(nodes.command(`${name} <id>`))
      .description(description)
      .action((id: string, opts: ClientOptions) =>
        runClientCommand(`nodes ${name}`, async () => {
          const response = await call(opts, method, path(encodeURIComponent(id)));
          if (response.statusCode !== 200) throw await failureFrom(response);
          process.stdout.write(`${say(JSON.parse(await readText(response)) as { id: string; remaining?: number })}\n`);
        }),
      );
  verb('drain', 'take a running node out of placement; the rebalancer moves its shards off (see `shardstore nodes` for what is left)', 'POST', (id) => `/_nodes/${id}/drain`,
    (a) => `node ${a.id} is draining: ${a.remaining} shard${a.remaining === 1 ? '' : 's'} to move (POST /_rebalance moves them now)`);
  verb('undrain', 'put a draining node back into placement', 'DELETE', (id) => `/_nodes/${id}/drain`, (a) => `node ${a.id} takes new shards again`);
  verb('retire', 'forget a node for good, once no live object has a shard on it (after a drain, or a repair if it is gone)', 'POST', (id) => `/_nodes/${id}/retire`,
    (a) => `node ${a.id} is retired: out of placement, listings and repair`);
}
