import assert from 'node:assert/strict';

/** A short pause (≤ 200 ms) between two polls or two steps of a scenario; never to wait for an outcome. */
export const pause = (ms: number): Promise<void> => {
  assert.ok(ms <= 200, `a pause of ${ms} ms: wait for what it waits for with waitFor`);
  return new Promise((resolve) => setTimeout(resolve, ms));
};

/**
 * Polls `check` every `everyMs` until it holds (returns true, or a value other than false/undefined, which
 * is returned) and fails the test with `what` after `timeoutMs`. Tests wait on what they can observe —
 * a status, a listing, a log line — instead of sleeping for a time that is too long on a fast machine and
 * too short on a slow one.
 */
export async function waitFor<T>(check: () => Promise<T | false | undefined> | T | false | undefined, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Polls until `check` holds, failing after `timeoutMs` with `what` (the boolean form of waitFor). */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  await waitFor(async () => (await check()) || undefined, what, timeoutMs, 100);
}

/** `promise`, or a failure naming `what` after `ms`: for a step that must not wait on something stalled. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
