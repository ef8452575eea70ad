import { MetadataUnavailableError } from '../core/errors.js';
import type { MetadataStore } from '../domain/metadata-store.js';

/** An outage ends with the first success this long after its last failure. */
const SETTLED_MS = 1000;

/** Told when the store stops answering and when it answers again: for one log line per outage. */
export type AvailabilityListener = (event: { readonly available: boolean; readonly cause?: unknown; readonly outageMs?: number }) => void;

/**
 * Wraps every method of every role of a store: an error that `isOutage` recognises (a connection refused or
 * reset, a server shutting down, a database file locked or on a full disk) becomes MetadataUnavailableError —
 * a 503 with Retry-After for the client, not a 500 — and the listener hears of the outage's start and end
 * once each. Other errors pass unchanged. The store itself recovers by reconnecting on its next call.
 */
export function watchAvailability(store: MetadataStore, isOutage: (error: unknown) => boolean, listener: AvailabilityListener = () => undefined): MetadataStore {
  let downSince: number | undefined;
  let lastFailure = 0;
  const failed = (error: unknown): unknown => {
    if (error instanceof MetadataUnavailableError) return error;
    if (!isOutage(error)) return error;
    lastFailure = Date.now();
    if (downSince === undefined) {
      downSince = lastFailure;
      listener({ available: false, cause: error });
    }
    return new MetadataUnavailableError({ cause: error });
  };
  // Over only once calls have gone on succeeding for a while: right after a restart, pooled connections that
  // died with the old server still fail one by one between successes, and that is the same outage.
  const succeeded = () => {
    if (downSince === undefined || Date.now() - lastFailure < SETTLED_MS) return;
    const outageMs = Date.now() - downSince;
    downSince = undefined;
    listener({ available: true, outageMs });
  };
  const wrapRole = <R extends object>(role: R): R => {
    const wrapped: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(role)) {
      wrapped[name] =
        typeof member === 'function'
          ? async (...args: unknown[]) => {
              try {
                const result: unknown = await (member as (...a: unknown[]) => unknown).apply(role, args);
                succeeded();
                return result;
              } catch (error) {
                throw failed(error);
              }
            }
          : member;
    }
    return wrapped as R;
  };
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    guarded[name] = name !== 'migrated' && typeof member === 'object' && member !== null ? wrapRole(member as object) : member;
  }
  return guarded as unknown as MetadataStore;
}
