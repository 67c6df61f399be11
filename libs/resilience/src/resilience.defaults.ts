import type { ResilienceModuleOptions } from './nest/resilience.options';
import type { BulkheadSpec, CircuitBreakerSpec, RetrySpec } from './pipeline/policy-spec';
import type { RetryBudgetOptions } from './retry/retry-budget';

/**
 * The defaults of every option, declared once: a retry, circuit breaker or bulkhead starts from these, whether
 * it is given to a decorator, to a policy of `ResilienceModule.forRoot({ policies })` or to `defaults`.
 */
export const RESILIENCE_DEFAULTS = {
  retry: {
    maxAttempts: 3,
    initialDelay: 100,
    maxDelay: 10_000,
    factor: 2,
    jitter: 'full',
    retryBudget: { ratio: 0.1, minPerSecond: 3, windowSeconds: 10 },
  },
  circuitBreaker: {
    failureThreshold: 5,
    minimumCalls: 10,
    window: 10_000,
    resetTimeout: 30_000,
    successThreshold: 2,
    maxKeys: 100,
  },
  bulkhead: { maxQueue: 0 },
  health: { enabled: true, name: 'circuit-breakers', critical: false },
} as const satisfies {
  retry: RetrySpec & { retryBudget: Required<RetryBudgetOptions> };
  circuitBreaker: CircuitBreakerSpec;
  bulkhead: Partial<BulkheadSpec>;
  health: Required<NonNullable<ResilienceModuleOptions['health']>>;
};
