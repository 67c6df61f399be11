import { CallTimeoutError } from '../errors/call-timeout.error';
import { runWithAbortSignal } from '@nestjs-reliability/common';

/**
 * Bounds one attempt: after `ms` the returned promise rejects with `CallTimeoutError` and the attempt's `AbortSignal`
 * (passed to `fn`, and `currentAbortSignal()` inside it) aborts with that error, so fetch and drivers stop their work.
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
    let timer: NodeJS.Timeout | undefined;
    let onOuterAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new CallTimeoutError(this.operation, this.ms);
        controller.abort(error);
        reject(error);
      }, this.ms);
      if (outer === undefined) return;
      onOuterAbort = () => {
        controller.abort(outer.reason);
        reject(outer.reason as Error);
      };
      if (outer.aborted) onOuterAbort();
      else outer.addEventListener('abort', onOuterAbort, { once: true });
    });
    const work = new Promise<T>((resolve) => resolve(runWithAbortSignal(signal, () => fn(signal))));
    return Promise.race([work, deadline]).finally(() => {
      clearTimeout(timer);
      if (onOuterAbort !== undefined) outer!.removeEventListener('abort', onOuterAbort);
    });
  }
}
