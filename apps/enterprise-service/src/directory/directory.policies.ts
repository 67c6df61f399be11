import type { PolicySpec } from '@nestjs-reliability/resilience';
import type { AppConfig } from '../config/app-config';

/** Name of the policy (and breaker) guarding the directory API. */
export const UPSTREAM = 'upstream';

/**
 * One breaker for the whole upstream, not one per key, deliberately: a 5xx or a timeout cannot be told apart from
 * an unhealthy upstream, and per-key breakers would each need five failures before opening, so an upstream that is
 * down would take five calls per distinct key (attackers choose keys). What is about one key (404, any other 4xx)
 * never counts as a failure, and while the circuit is open every key with a last good answer is still served.
 *
 * Retry transient failures (5xx, 429, timeouts, connection errors) 3 times within the budget; open after 5 failures
 * in 10 s; probe after `UPSTREAM_BREAKER_RESET_MS`, close after 2 good probes; `UPSTREAM_TIMEOUT_MS` per attempt.
 */
export function upstreamPolicy(upstream: AppConfig['upstream']): PolicySpec {
  return {
    retry: { maxAttempts: 3, initialDelay: 100, maxDelay: 1_000, maxDuration: 3 * upstream.timeoutMs },
    circuitBreaker: { failureThreshold: 5, window: 10_000, resetTimeout: upstream.breakerResetMs, successThreshold: 2 },
    timeout: { ms: upstream.timeoutMs },
  };
}
