import { isBrokenCircuitError } from '../errors/broken-circuit.error';
import { isBulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { isRetryBudgetExhaustedError, RetryBudgetExhaustedError } from '../errors/retry-budget-exhausted.error';
import type { ResilienceListener } from '../pipeline/resilience-listener';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { sleep } from '../timeout/sleep';
import { nextDelay } from './backoff';
import { retryAfterMsOf } from './retry-after';
import { RetryBudget } from './retry-budget';
import type { ResolvedRetryOptions } from './retry.options';

/**
 * Runs a function again after a transient failure, with capped exponential backoff and jitter, within a retry
 * budget. The success path is one counter increment and one `await` over a direct call.
 */
export class RetryPolicy {
  private readonly budget: RetryBudget | undefined;

  constructor(
    readonly operation: string,
    private readonly options: ResolvedRetryOptions,
    private readonly listener: ResilienceListener = {},
    private readonly random: () => number = Math.random,
  ) {
    this.budget = options.retryBudget === false ? undefined : new RetryBudget(operation, options.retryBudget);
  }

  /**
   * Runs `fn` (given the attempt number, from 1). `signal` (default: `currentAbortSignal()` of the caller, read only
   * once an attempt has failed) aborts the waits between attempts.
   */
  execute<T>(fn: (attempt: number) => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    const startedAt = this.options.maxDuration === Infinity ? 0 : Date.now();
    this.budget?.deposit();
    let first: T | Promise<T>;
    try {
      first = fn(1);
    } catch (error) {
      return this.retry(fn, error, startedAt, signal);
    }
    // `then` rather than an async function: one promise and one tick fewer on the success path.
    return Promise.resolve(first).then(undefined, (error: unknown) => this.retry(fn, error, startedAt, signal));
  }

  private async retry<T>(
    fn: (attempt: number) => T | Promise<T>,
    firstError: unknown,
    startedAt: number,
    signal?: AbortSignal,
  ): Promise<T> {
    const o = this.options;
    signal ??= currentAbortSignal();
    let error = firstError;
    let previousDelay = o.initialDelay;
    for (let attempt = 1; ; attempt++) {
      if (attempt >= o.maxAttempts || signal?.aborted || !this.shouldRetry(error, attempt)) throw error;
      let delay = nextDelay(o, attempt, previousDelay, this.random);
      previousDelay = delay;
      const retryAfter = retryAfterMsOf(error);
      if (retryAfter !== undefined && retryAfter > delay) delay = retryAfter;
      if (startedAt !== 0 && Date.now() - startedAt + delay > o.maxDuration) throw error;
      if (this.budget !== undefined && !this.budget.tryWithdraw()) {
        throw new RetryBudgetExhaustedError(this.operation, attempt, error);
      }
      o.onRetry?.({ operation: this.operation, attempt, delay, error });
      this.listener.retry?.(this.operation, attempt, delay, error);
      await sleep(delay, signal);
      try {
        return await fn(attempt + 1);
      } catch (next) {
        error = next;
      }
    }
  }

  private shouldRetry(error: unknown, attempt: number): boolean {
    // Retrying these would defeat the policy that produced them.
    if (isBrokenCircuitError(error) || isBulkheadRejectedError(error) || isRetryBudgetExhaustedError(error))
      return false;
    return this.options.retryOn(error, attempt);
  }
}
