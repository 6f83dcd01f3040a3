import { useEffect, useRef, useState } from 'preact/hooks';

/** What an async load has given so far. */
export type Loaded<T> = { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; error: Error };

/**
 * Runs `load` whenever `deps` change, aborting the previous one. A reload (`reload()`, or a
 * new `refresh` value) keeps showing the last value until the new one arrives, so a live
 * view does not flicker.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], refresh?: unknown): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(deps);
  const lastKey = useRef<string | null>(null);
  useEffect(() => {
    // New dependencies show "loading"; a reload of the same ones keeps the last answer.
    if (lastKey.current !== key) setResult({ state: 'loading' });
    lastKey.current = key;
    const controller = new AbortController();
    load(controller.signal).then(
      (value) => controller.signal.aborted || setResult({ state: 'done', value }),
      (error: Error) => controller.signal.aborted || setResult({ state: 'error', error }),
    );
    return () => controller.abort();
  }, [key, generation, refresh]);
  return [result, () => setGeneration((g) => g + 1)];
}

/**
 * Calls `tick` every `ms` while `active` and the tab is visible, never twice at once (a slow
 * answer delays the next tick instead of piling requests up).
 */
export function usePolling(tick: () => Promise<void>, ms: number, active: boolean): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    let timer: number | undefined;
    let stopped = false;
    const schedule = (): void => {
      timer = window.setTimeout(async () => {
        if (document.visibilityState === 'visible') {
          try {
            await latest.current();
          } catch {
            // The next tick tries again; the page shows the last good data.
          }
        }
        if (!stopped) schedule();
      }, ms);
    };
    schedule();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [ms, active]);
}
