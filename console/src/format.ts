const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`;
}

export function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** `spreadBefore` → `spread before`, `durationMs` → `duration`. */
const words = (key: string): string => key.replace(/Ms$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** One counter of a job's summary as a person reads it: bytes in B/KiB/MiB, spreads in %, times in s. */
export function field(key: string, value: unknown): string | undefined {
  if (Array.isArray(value)) return `${words(key)} ${value.length}`;
  if (typeof value === 'boolean') return value ? words(key) : undefined;
  if (typeof value === 'string') return `${words(key)} ${value}`;
  if (typeof value !== 'number') return undefined;
  if (/bytes/i.test(key)) return `${words(key)} ${bytes(value)}`;
  if (/spread/i.test(key)) return `${words(key)} ${(value * 100).toFixed(1)} %`;
  if (/Ms$/.test(key)) return `${words(key)} ${value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`}`;
  return `${words(key)} ${value.toLocaleString('en')}`;
}

/** A job's pass in a line: its counters, readable; a `reason` is left to its own line. */
export function summary(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .filter(([k]) => k !== 'reason')
    .map(([k, v]) => field(k, v))
    .filter((text) => text !== undefined)
    .join(' · ');
}
