const brand = Symbol.for('nestjs-reliability.RetryBudgetExhaustedError');

/**
 * A retry that was due but refused because retries of this operation already exceed its budget (a share of its
 * calls plus a small floor per second), so retries cannot multiply the load on a failing dependency. `cause` is
 * the error of the last attempt.
 */
export class RetryBudgetExhaustedError extends Error {
  readonly [brand] = true;
  override readonly name = 'RetryBudgetExhaustedError';

  constructor(
    readonly operation: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `"${operation}" failed after ${attempts} attempt(s) and was not retried: its retry budget is spent because many recent calls failed. The dependency is likely down; serve a fallback, or raise the budget's ratio if retries are cheap for it.`,
      { cause },
    );
  }
}

export const isRetryBudgetExhaustedError = (error: unknown): error is RetryBudgetExhaustedError =>
  typeof error === 'object' && error !== null && brand in error;
