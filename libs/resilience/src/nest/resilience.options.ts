import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.options';
import type { PolicySpec } from '../pipeline/policy-spec';
import type { RetryOptions } from '../retry/retry.options';

/** Options of `ResilienceModule.forRoot` / `forRootAsync`; defaults live in `RESILIENCE_DEFAULTS`. */
export interface ResilienceModuleOptions {
  /** Options every retry and breaker starts from. */
  defaults?: { retry?: RetryOptions; circuitBreaker?: CircuitBreakerOptions };
  /** Named policy sets, for `ResilienceService.execute(name, fn)` and for decorators that refer to them by name. */
  policies?: Record<string, PolicySpec>;
  /** The readiness check listing open breakers (`degraded` while any is open). */
  health?: {
    /** Registered when `HealthRegistry` is available. Default true. */
    enabled?: boolean;
    /** Check name. Default `circuit-breakers`. */
    name?: string;
    /** When true, an open breaker makes readiness fail. Default false: degraded, still ready. */
    critical?: boolean;
  };
}
