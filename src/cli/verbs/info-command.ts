import type { Command } from 'commander';
import { call, failureFrom, keyPath, readText, runClientCommand, EXIT, withGatewayOptions, type ClientOptions } from '../gateway-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Shard { index: number; kind: string; node: string; size: number }

/** Readable lines for an object's record (path API via /_objects, file store via /fileinfo). */
export function describeObject(record: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(record)) {
    if (field === 'parts' || field === 'shards') continue;
    if (value !== null && value !== undefined) lines.push(`${field.padEnd(14)} ${String(value)}`);
  }
  const parts = record.parts as { shards: Shard[] }[] | undefined;
  const shards = Array.isArray(parts) ? parts.flatMap((p) => p.shards) : (record.shards as Shard[] | undefined) ?? [];
  for (const s of shards) lines.push(`shard ${String(s.index).padEnd(8)} ${s.kind.padEnd(6)} node ${s.node}  ${s.size} bytes`);
  return `${lines.join('\n')}\n`;
}

export function addInfoCommand(program: Command): void {
  withGatewayOptions(program.command('info').argument('<key-or-id>', 'a path-API key, or a file store id (GUID)'))
    .description("an object's record and shard map (a key needs the admin token) (exit 0, 1 no such object, 2 error)")
    .option('--json', 'print the JSON answer')
    .action((target: string, opts: ClientOptions & { json?: boolean }) =>
      runClientCommand('info', async () => {
        const path = UUID.test(target) ? `/fileinfo/${target.toLowerCase()}` : `/_objects${keyPath(target)}`;
        const response = await call(opts, 'GET', path);
        if (response.statusCode === 404) throw await failureFrom(response, EXIT.NO);
        if (response.statusCode !== 200) throw await failureFrom(response);
        const text = await readText(response);
        process.stdout.write(opts.json ? `${text.trim()}\n` : describeObject(JSON.parse(text) as Record<string, unknown>));
      }),
    );
}
