const brand = Symbol.for('nestjs-reliability.LockLostError');

/** The abort reason a routine sees when its lock could not be extended: another instance may now hold it. */
export class LockLostError extends Error {
  readonly [brand] = true;
  override readonly name = 'LockLostError';

  constructor(
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(
      `The lock on "${resource}" could not be extended and is treated as lost; stop the work it protects ` +
        '(another instance may hold the lock now).',
      options,
    );
  }
}

export const isLockLostError = (error: unknown): error is LockLostError =>
  typeof error === 'object' && error !== null && brand in error;
