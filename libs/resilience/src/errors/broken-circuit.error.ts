const brand = Symbol.for('nestjs-reliability.BrokenCircuitError');

/** A call rejected without running because its circuit breaker is open (or half-open with every probe slot taken). */
export class BrokenCircuitError extends Error {
  readonly [brand] = true;
  override readonly name = 'BrokenCircuitError';

  constructor(
    readonly breaker: string,
    readonly state: 'open' | 'half-open',
  ) {
    super(
      state === 'open'
        ? `Circuit breaker "${breaker}" is open, so the call was not made; it lets a probe through after its reset timeout. Serve a fallback (@Fallback) or answer 503 meanwhile.`
        : `Circuit breaker "${breaker}" is half-open and every probe slot is taken, so the call was not made. Serve a fallback (@Fallback) or retry after the probes finish.`,
    );
  }
}

export const isBrokenCircuitError = (error: unknown): error is BrokenCircuitError =>
  typeof error === 'object' && error !== null && brand in error;
