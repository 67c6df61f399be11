import { AsyncLocalStorage } from 'node:async_hooks';

const signals = new AsyncLocalStorage<AbortSignal>();

/**
 * The signal of the innermost bounded work running this code: a `@CallTimeout` attempt, a `@WithLock` routine
 * whose lock can be lost, or any `runWithAbortSignal` scope. It aborts when any enclosing scope aborts. Pass it on
 * so abandoned work stops too: `fetch(url, { signal: currentAbortSignal() })`.
 */
export function currentAbortSignal(): AbortSignal | undefined {
  return signals.getStore();
}

/** Runs `fn` with a signal that aborts when `signal` or the enclosing scope's signal aborts. */
export function runWithAbortSignal<T>(signal: AbortSignal, fn: () => T): T {
  const outer = signals.getStore();
  return signals.run(outer && outer !== signal ? AbortSignal.any([outer, signal]) : signal, fn);
}
