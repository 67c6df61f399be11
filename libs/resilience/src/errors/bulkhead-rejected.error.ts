const brand = Symbol.for('nestjs-reliability.BulkheadRejectedError');

/** A call refused because `maxConcurrent` calls were running and `maxQueue` more were already waiting. */
export class BulkheadRejectedError extends Error {
  readonly [brand] = true;
  override readonly name = 'BulkheadRejectedError';

  constructor(
    readonly operation: string,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    super(
      `"${operation}" is at capacity (${maxConcurrent} running, ${maxQueue} queued), so the call was refused. Shed the load (answer 503) or raise maxConcurrent/maxQueue if the dependency can take more.`,
    );
  }
}

export const isBulkheadRejectedError = (error: unknown): error is BulkheadRejectedError =>
  typeof error === 'object' && error !== null && brand in error;
