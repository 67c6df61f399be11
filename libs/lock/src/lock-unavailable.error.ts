const brand = Symbol.for('nestjs-reliability.LockUnavailableError');

/** Thrown by `LockService.run` when another instance holds the lock, or too few Redis nodes answered. */
export class LockUnavailableError extends Error {
  readonly [brand] = true;
  override readonly name = 'LockUnavailableError';

  constructor(
    readonly resource: string,
    readonly reason: 'busy' | 'unavailable',
  ) {
    super(
      reason === 'busy'
        ? `The lock on "${resource}" is held by another instance; try again later or use tryRun() to skip the work.`
        : `The lock on "${resource}" could not be taken: too few Redis nodes answered. Check Redis, then try again.`,
    );
  }
}

export const isLockUnavailableError = (error: unknown): error is LockUnavailableError =>
  typeof error === 'object' && error !== null && brand in error;
