/** Decides when a closed circuit opens. `now` is a `Date.now()` value. */
export interface BreakerStrategy {
  /** Whether `success` needs the time (only the rate strategy does; the count strategy's success path is free). */
  readonly needsTimeOnSuccess: boolean;
  success(now: number): void;
  /** Records a failure; true when the circuit should open. */
  failure(now: number): boolean;
  reset(): void;
  /** Why the circuit opened, for the log line. */
  describe(): string;
}
