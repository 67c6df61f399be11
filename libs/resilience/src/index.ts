// What a Nest application calls: the module, the decorators, the service, the errors and their guards, the option
// types, and the predicates its options compose. The policies behind them are internal.
export { ResilienceModule } from './nest/resilience.module';
export type { ResilienceModuleOptions } from './nest/resilience.options';
export { RESILIENCE_DEFAULTS } from './resilience.defaults';
export { ResilienceService } from './nest/resilience.service';
export { Bulkhead } from './nest/bulkhead.decorator';
export { CallTimeout } from './nest/call-timeout.decorator';
export { CircuitBreaker } from './nest/circuit-breaker.decorator';
export { Fallback } from './nest/fallback.decorator';
export { Retry } from './nest/retry.decorator';
export { currentAbortSignal } from '@nestjs-reliability/common';

export { BrokenCircuitError, isBrokenCircuitError } from './errors/broken-circuit.error';
export { BulkheadRejectedError, isBulkheadRejectedError } from './errors/bulkhead-rejected.error';
export { CallTimeoutError, isCallTimeoutError } from './errors/call-timeout.error';
export { RetryBudgetExhaustedError, isRetryBudgetExhaustedError } from './errors/retry-budget-exhausted.error';

export { isClientError, isNetworkError, isTransientError } from './retry/error-classification';
export { defaultIsFailure } from './breaker/circuit-breaker.options';

export type {
  BulkheadSpec,
  CircuitBreakerSpec,
  FallbackSpec,
  PolicySpec,
  RetrySpec,
  TimeoutSpec,
} from './pipeline/policy-spec';
export type { Jitter } from './retry/backoff';
export type { RetryBudgetOptions } from './retry/retry-budget';
export type { ErrorClass, RetryEvent, RetryOptions } from './retry/retry.options';
export type { CircuitBreakerOptions } from './breaker/circuit-breaker.options';
export type { FallbackOptions } from './fallback/fallback.policy';
export type { CircuitState } from './pipeline/resilience-listener';
