/** Outcome of one call as a breaker sees it (the `result` label of `circuit_breaker_calls_total`). */
export type CallResult = 'success' | 'failure' | 'rejected' | 'timeout' | 'fallback';

/** Circuit state; the gauge `circuit_breaker_state` encodes it as 0, 1, 2 in this order. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Transitions and retries the policies report, so the Nest adapter can turn them into metrics and logs; the core
 * knows neither. Call counts are plain counters on each breaker (`CircuitBreakerPolicy.calls`), read at scrape time.
 */
export interface ResilienceListener {
  breakerCreated?(breaker: string): void;
  breakerState?(breaker: string, state: CircuitState, reason: string): void;
  retry?(operation: string, attempt: number, delayMs: number, error: unknown): void;
}
