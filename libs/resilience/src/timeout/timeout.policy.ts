import { TimeoutError } from '../errors/timeout.error';
import { runWithSignal } from './abort-context';

/**
 * Bounds one attempt: after `ms` the returned promise rejects with `TimeoutError` and the attempt's `AbortSignal`
 * (passed to `fn`, and `currentSignal()` inside it) aborts with that error, so fetch and drivers stop their work.
 * An `outer` signal that aborts first aborts the attempt too. The timer is cleared as soon as the attempt settles.
 */
export class TimeoutPolicy {
  constructor(
    readonly operation: string,
    readonly ms: number,
  ) {}

  execute<T>(fn: (signal: AbortSignal) => T | Promise<T>, outer?: AbortSignal): Promise<T> {
    const controller = new AbortController();
    const signal = controller.signal;
    return new Promise<T>((resolve, reject) => {
      const onOuterAbort = () => {
        clearTimeout(timer);
        controller.abort(outer!.reason);
        reject(outer!.reason as Error);
      };
      const timer = setTimeout(() => {
        outer?.removeEventListener('abort', onOuterAbort);
        const error = new TimeoutError(this.operation, this.ms);
        controller.abort(error);
        reject(error);
      }, this.ms);
      if (outer !== undefined) {
        if (outer.aborted) return onOuterAbort();
        outer.addEventListener('abort', onOuterAbort, { once: true });
      }
      const settle = () => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuterAbort);
      };
      let result: T | Promise<T>;
      try {
        result = runWithSignal(signal, () => fn(signal));
      } catch (error) {
        settle();
        return reject(error);
      }
      Promise.resolve(result).then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }
}
