import type { PolicySpec } from '@nestjs-reliability/resilience';
import type { AppConfig } from '../config/app-config';

/** Name of the policy (and breaker) guarding the directory API. */
export const UPSTREAM = 'upstream';

/**
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
