import { checkInteger, checkNumber } from '@nestjs-reliability/common';
import { RESILIENCE_DEFAULTS } from '../resilience.defaults';
import { coarseNow } from './coarse-clock';

export interface RetryBudgetOptions {
  /** Retries allowed as a share of calls in the window (Google SRE book: 10 %). Default 0.1. */
  ratio?: number;
  /** Retries per second always allowed, so an operation with little traffic still retries (Finagle: 10). Default 3. */
  minPerSecond?: number;
  /** Length of the sliding window, whole seconds. Default 10. */
  windowSeconds?: number;
}

/**
 * Finagle-style retry budget for one operation: within a sliding window of `windowSeconds` one-second buckets,
 * retries may not exceed `ratio * calls + minPerSecond * windowSeconds`. Each call deposits, each retry withdraws.
 * The call path only bumps a counter; buckets rotate on a coarse clock.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly reserve: number;
  private readonly calls: Float64Array;
  private readonly retries: Float64Array;
  private second: number;
  private index = 0;

  constructor(
    scope: string,
    options: RetryBudgetOptions = {},
    private readonly clock: () => number = coarseNow,
  ) {
    const o = { ...RESILIENCE_DEFAULTS.retry.retryBudget, ...options };
    this.ratio = checkNumber(scope, 'retryBudget.ratio', o.ratio, 0);
    const windowSeconds = checkInteger(scope, 'retryBudget.windowSeconds', o.windowSeconds, 1, 3600);
    this.reserve = checkNumber(scope, 'retryBudget.minPerSecond', o.minPerSecond, 0) * windowSeconds;
    this.calls = new Float64Array(windowSeconds);
    this.retries = new Float64Array(windowSeconds);
    this.second = Math.floor(clock() / 1000);
  }

  /** Records a call (not a retry). */
  deposit(): void {
    if (Math.floor(this.clock() / 1000) !== this.second) this.rotate();
    this.calls[this.index]++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryWithdraw(): boolean {
    this.rotate();
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < this.calls.length; i++) {
      calls += this.calls[i];
      retries += this.retries[i];
    }
    if (retries + 1 > this.ratio * calls + this.reserve) return false;
    this.retries[this.index]++;
    return true;
  }

  private rotate(): void {
    const second = Math.floor(this.clock() / 1000);
    const elapsed = Math.min(second - this.second, this.calls.length);
    for (let i = 0; i < elapsed; i++) {
      this.index = (this.index + 1) % this.calls.length;
      this.calls[this.index] = 0;
      this.retries[this.index] = 0;
    }
    if (second > this.second) this.second = second;
  }
}
