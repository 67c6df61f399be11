const brand = Symbol.for('nestjs-reliability.CallTimeoutError');

/**
 * An attempt that ran longer than its `@CallTimeout`; its `AbortSignal` (see `currentAbortSignal()`) was aborted with
 * this error. Named apart from `TimeoutError`s of other libraries (and the DOM's), so an import cannot pick the wrong one.
 */
export class CallTimeoutError extends Error {
  readonly [brand] = true;
  override readonly name = 'CallTimeoutError';

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(
      `"${operation}" timed out after ${timeoutMs} ms and its work was aborted. Raise the timeout if the work is legitimately slow, or find out why it hangs.`,
    );
  }
}

export const isCallTimeoutError = (error: unknown): error is CallTimeoutError =>
  typeof error === 'object' && error !== null && brand in error;
