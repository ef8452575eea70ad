import { useEffect, useState } from 'preact/hooks';
import { SignedOut } from './admin-api.js';

/**
 * Runs `load` now and every `intervalMs`, and again at once when `key` changes (a new filter); the latest
 * value or error. A lost session goes back to sign-in.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, key = ''): { value?: T; error?: string; at: number } {
  const [state, setState] = useState<{ value?: T; error?: string; at: number }>({ at: Date.now() });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const value = await load();
        if (live) setState({ value, at: Date.now() });
      } catch (error) {
        if (error instanceof SignedOut) {
          location.reload();
          return;
        }
        if (live) setState((s) => ({ ...s, error: (error as Error).message, at: Date.now() }));
      }
      if (live) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [intervalMs, key]);
  return state;
}
