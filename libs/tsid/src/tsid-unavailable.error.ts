const brand = Symbol.for('nestjs-reliability.TsidUnavailableError');

/**
 * The generator refuses to issue an ID right now because it could not prove the ID unique: no node ID is
 * held yet, the previous holder's range has not passed, the lease could not be refreshed in time, or it was
 * lost or stolen. Retry later (HTTP 503); the message says which case applies.
 */
export class TsidUnavailableError extends Error {
  readonly [brand] = true;
  override readonly name = 'TsidUnavailableError';
}

export const isTsidUnavailableError = (error: unknown): error is TsidUnavailableError =>
  typeof error === 'object' && error !== null && brand in error;
