const brand = Symbol.for('nestjs-reliability.LockUnavailableError');

/** Thrown by `LockService.run` when another instance holds the lock (or too few Redis nodes answered). */
export class LockUnavailableError extends Error {
  readonly [brand] = true;
  override readonly name = 'LockUnavailableError';

  constructor(
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(
      `The lock on "${resource}" is held elsewhere or a quorum of Redis nodes did not answer; ` +
        'try again later or use tryRun() to skip the work.',
      options,
    );
  }
}

export const isLockUnavailableError = (error: unknown): error is LockUnavailableError =>
  typeof error === 'object' && error !== null && brand in error;
