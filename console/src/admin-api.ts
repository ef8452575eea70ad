/** Calls to the gateway's admin API with the console's session cookie and the header that goes with it. */
export class SignedOut extends Error {}

async function adminFetch(path: string): Promise<Response> {
  const res = await fetch(path, { headers: { 'x-shardstore-console': '1' }, credentials: 'same-origin' });
  if (res.status === 401) throw new SignedOut('the console session has ended');
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res;
}

export async function adminGet<T>(path: string): Promise<T> {
  return (await (await adminFetch(path)).json()) as T;
}

export async function adminText(path: string): Promise<string> {
  return (await adminFetch(path)).text();
}

export interface NodeInfo {
  id: string;
  url: string;
  state: 'up' | 'down';
  /** An up node being filled after it joined, one the running rebalance pass moves shards from or to, or one being drained. */
  activity: 'joining' | 'rebalancing' | 'draining' | null;
  /** Failure domains the node reported (null from a node that reported none). */
  zone: string | null;
  machine: string | null;
  /** A draining node's shards of live objects still to move. */
  drainRemaining?: number;
  capacity: number;
  used: number;
  shards: number;
  lastSeen: string;
}

export interface JobStatus {
  job: string;
  running: boolean;
  runningSince: string | null;
  /** The running pass's summary so far (repairer, scrubber, rebalancer). */
  progress: Record<string, unknown> | null;
  last: { startedAt: string; finishedAt: string; summary?: unknown; error?: string } | null;
}

export const JOBS = [
  { path: '/_gc', title: 'Cleaner' },
  { path: '/_repair', title: 'Repairer' },
  { path: '/_scrub', title: 'Scrubber' },
  { path: '/_rebalance', title: 'Rebalancer' },
  { path: '/_dedupe', title: 'Deduplication' },
] as const;

export async function adminDelete(path: string): Promise<void> {
  await adminSend('DELETE', path);
}

export interface Namespace {
  name: string;
  kind: 'paths' | 'filestore' | 's3';
  title: string;
  /** S3 buckets: anyone may read their objects. */
  publicRead?: boolean;
}

/** A JSON request that changes something (keys, grants, bucket settings); its JSON answer, if any. */
export async function adminSend<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
  const res = await fetch(path, {
    method,
    headers: { 'x-shardstore-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401) throw new SignedOut('the console session has ended');
  if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
  return res.status === 204 ? undefined : ((await res.json()) as T);
}

/** An S3 access key as the admin API lists it: never its secret. */
export interface KeyInfo {
  accessKey: string;
  name: string;
  createdAt: string;
  admin: boolean;
  buckets: Record<string, 'read' | 'write' | 'owner'>;
}

export interface Listing {
  bucket: string;
  prefix: string;
  folders: string[];
  /** `name`: the file store's uploaded file name (its keys are GUIDs). */
  objects: { key: string; size: number; etag: string; created: string; name?: string | null }[];
  next: string | null;
}

export interface ObjectDetails {
  id: string;
  key: string;
  size: number;
  etag: string;
  sha256: string;
  contentType: string | null;
  created: string;
  sharedBy: number;
  parts: {
    partNo: number;
    size: number;
    scheme: { dataShards: number; parityShards: number; blockSize: number };
    shards: { index: number; kind: 'data' | 'parity'; node: string; nodeUrl: string | null; shardId: string; size: number }[];
  }[];
}

export const query = (params: Record<string, string>): string => new URLSearchParams(params).toString();

/** An action-log record; an upload that never became an object (`abort`) has no object id, a purge may have no key. */
export interface LogEntry {
  id: number;
  time: string;
  action: string;
  object: string | null;
  bucket: string | null;
  key: string | null;
  client: string | null;
  bytes: number;
  duration_ms: number;
  result: string;
}

export const ACTIONS = ['create', 'download', 'expire', 'purge', 'abort', 'dedupe'] as const;
