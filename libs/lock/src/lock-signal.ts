import { AsyncLocalStorage } from 'node:async_hooks';

const signals = new AsyncLocalStorage<AbortSignal>();

/**
 * Inside a `@WithLock` method (or a `LockService` routine): the signal that aborts when the lock is lost.
 * Pass it to fetch or check it between steps so the work stops before another instance takes over.
 */
export function currentLockSignal(): AbortSignal | undefined {
  return signals.getStore();
}

export function runWithLockSignal<T>(signal: AbortSignal, routine: () => T): T {
  return signals.run(signal, routine);
}
