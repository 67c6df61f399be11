const brand = Symbol.for('nestjs-reliability.TimeoutError');

/** An attempt that ran longer than its `@Timeout`; its `AbortSignal` (see `currentAbortSignal()`) was aborted with this error. */
export class TimeoutError extends Error {
  readonly [brand] = true;
  override readonly name = 'TimeoutError';

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(
      `"${operation}" timed out after ${timeoutMs} ms and its work was aborted. Raise the timeout if the work is legitimately slow, or find out why it hangs.`,
    );
  }
}

export const isTimeoutError = (error: unknown): error is TimeoutError =>
  typeof error === 'object' && error !== null && brand in error;
