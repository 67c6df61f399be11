import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.options';
import type { FallbackOptions } from '../fallback/fallback.policy';
import type { RetryOptions } from '../retry/retry.options';

export interface RetrySpec extends RetryOptions {
  /** `operation` label of `retry_attempts_total` and of retry logs. Default: `Class.method` or the policy name. */
  operation?: string;
}

export interface CircuitBreakerSpec extends CircuitBreakerOptions {
  /**
   * Shares the breaker with every method or policy giving the same name. Without it the method has a breaker of its
   * own, labelled `Class.method` in metrics and logs (`Class.method#2` when another method of the app has that label).
   */
  name?: string;
  /** One breaker per key (e.g. upstream host), computed from the call's arguments; labelled `name/key`. */
  key?: (...args: never[]) => string;
  /** Most keyed breakers kept (least recently used evicted). Default 100. */
  maxKeys?: number;
}

export interface TimeoutSpec {
  /** Per-attempt limit, ms. */
  ms: number;
}

export interface BulkheadSpec {
  maxConcurrent: number;
  /** Calls allowed to wait for a slot. Default 0. */
  maxQueue?: number;
}

export interface FallbackSpec extends FallbackOptions {
  /**
   * Answer when the call fails: a function called with the instance as `this`, the error and the call's
   * arguments, or the name of a method of the instance called the same way.
   */
  handler: string | ((error: unknown, ...args: never[]) => unknown);
}

/** The policies around one method or one named policy; applied Fallback → Retry → CircuitBreaker → Timeout → Bulkhead. */
export interface PolicySpec {
  fallback?: FallbackSpec;
  retry?: RetrySpec;
  circuitBreaker?: CircuitBreakerSpec;
  timeout?: TimeoutSpec;
  bulkhead?: BulkheadSpec;
}
