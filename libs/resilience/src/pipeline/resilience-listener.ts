/** Outcome of one call as a breaker sees it (the `result` label of `circuit_breaker_calls_total`). */
export type CallResult = 'success' | 'failure' | 'rejected' | 'timeout' | 'fallback';

/** Circuit state; the gauge `circuit_breaker_state` encodes it as 0, 1, 2 in this order. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What the policies report, so the Nest adapter can turn it into metrics and logs; the core knows neither. */
export interface ResilienceListener {
  breakerCreated?(breaker: string): void;
  breakerState?(breaker: string, state: CircuitState, reason: string): void;
  breakerCall?(breaker: string, result: CallResult): void;
  retry?(operation: string, attempt: number, delayMs: number, error: unknown): void;
}
