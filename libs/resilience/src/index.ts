export { BrokenCircuitError, isBrokenCircuitError } from './errors/broken-circuit.error';
export { BulkheadRejectedError, isBulkheadRejectedError } from './errors/bulkhead-rejected.error';
export { RetryBudgetExhaustedError, isRetryBudgetExhaustedError } from './errors/retry-budget-exhausted.error';
export { TimeoutError, isTimeoutError } from './errors/timeout.error';

export { baseDelay, nextDelay } from './retry/backoff';
export type { BackoffOptions, Jitter } from './retry/backoff';
export { httpStatusOf, isClientError, isNetworkError, isTransientError } from './retry/error-classification';
export { parseRetryAfter, retryAfterMsOf } from './retry/retry-after';
export { RetryBudget } from './retry/retry-budget';
export type { RetryBudgetOptions } from './retry/retry-budget';
export { resolveRetryOptions } from './retry/retry.options';
export type { ErrorClass, RetryEvent, RetryOptions } from './retry/retry.options';
export { RetryPolicy } from './retry/retry.policy';

export { defaultIsFailure, resolveCircuitBreakerOptions } from './breaker/circuit-breaker.options';
export type { CircuitBreakerOptions } from './breaker/circuit-breaker.options';
export { CircuitBreakerPolicy } from './breaker/circuit-breaker.policy';
export { CircuitBreakerRegistry } from './breaker/circuit-breaker.registry';

export { currentAbortSignal } from '@nestjs-reliability/common';
export { TimeoutPolicy } from './timeout/timeout.policy';
export { BulkheadPolicy } from './bulkhead/bulkhead.policy';
export { FallbackPolicy } from './fallback/fallback.policy';
export type { FallbackOptions } from './fallback/fallback.policy';

export { ResilienceRuntime } from './pipeline/resilience.runtime';
export type { Invoke, MethodSpec, ResilienceConfig } from './pipeline/resilience.runtime';
export type {
  BulkheadSpec,
  CircuitBreakerSpec,
  FallbackSpec,
  PolicySpec,
  RetrySpec,
  TimeoutSpec,
} from './pipeline/policy-spec';
export type { CallResult, CircuitState, ResilienceListener } from './pipeline/resilience-listener';

export { Bulkhead } from './nest/bulkhead.decorator';
export { CircuitBreaker } from './nest/circuit-breaker.decorator';
export { Fallback } from './nest/fallback.decorator';
export { Retry } from './nest/retry.decorator';
export { Timeout } from './nest/timeout.decorator';
export { CircuitBreakersHealth } from './nest/circuit-breakers.health';
export { ResilienceModule } from './nest/resilience.module';
export { RESILIENCE_OPTIONS } from './nest/resilience.module-definition';
export type { ResilienceModuleOptions } from './nest/resilience.options';
export { ResilienceService } from './nest/resilience.service';
