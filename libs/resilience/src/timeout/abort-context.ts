import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<AbortSignal>();

/**
 * The `AbortSignal` of the innermost `@Timeout` (or `ResilienceService.execute`) running this code, if any.
 * Pass it to `fetch`, HTTP clients or drivers so a timed-out attempt stops its work too:
 * `fetch(url, { signal: currentSignal() })`.
 */
export function currentSignal(): AbortSignal | undefined {
  return storage.getStore();
}

/** Runs `fn` with `signal` as `currentSignal()`. */
export function runWithSignal<T>(signal: AbortSignal, fn: () => T): T {
  return storage.run(signal, fn);
}
