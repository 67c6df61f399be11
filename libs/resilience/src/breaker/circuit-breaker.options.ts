import { checkInteger, checkNumber, InvalidOptionError } from '@nestjs-reliability/common';
import { isBulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { RESILIENCE_DEFAULTS } from '../resilience.defaults';
import { isClientError } from '../retry/error-classification';
import type { BreakerStrategy } from './breaker-strategy';
import { FailureCountStrategy } from './failure-count.strategy';
import { FailureRateStrategy } from './failure-rate.strategy';

export interface CircuitBreakerOptions {
  /** Count rule: open after this many failures within `window`. Default 5. Ignored when `failureRateThreshold` is set. */
  failureThreshold?: number;
  /** Rate rule (resilience4j style): open when this % of the calls within `window` failed. */
  failureRateThreshold?: number;
  /** Rate rule: no decision before the window holds this many calls. Default 10. */
  minimumCalls?: number;
  /** Rolling window of either rule, ms. Default 10 000. */
  window?: number;
  /** A success slower than this (ms) counts as a failure. Default: off. */
  slowCallDuration?: number;
  /** How long the circuit stays open before it lets probes through, ms. Default 30 000. */
  resetTimeout?: number;
  /** Consecutive probe successes that close a half-open circuit. Default 2. */
  successThreshold?: number;
  /** Probe calls admitted while half-open (≥ successThreshold). Default successThreshold. */
  halfOpenMaxCalls?: number;
  /** Which errors count as failures. Default: all but HTTP 4xx other than 408/429 (a 404 means the dependency works). */
  isFailure?: (error: unknown) => boolean;
}

export interface ResolvedCircuitBreakerOptions {
  resetTimeout: number;
  successThreshold: number;
  halfOpenMaxCalls: number;
  slowCallDuration: number;
  isFailure: (error: unknown) => boolean;
  createStrategy: () => BreakerStrategy;
}

/** Default failure classification; a bulkhead rejection is local load shedding, not a sign the dependency is down. */
export const defaultIsFailure = (error: unknown): boolean => !isClientError(error) && !isBulkheadRejectedError(error);

export function resolveCircuitBreakerOptions(
  scope: string,
  options: CircuitBreakerOptions = {},
): ResolvedCircuitBreakerOptions {
  const o = { ...RESILIENCE_DEFAULTS.circuitBreaker, ...options };
  const window = checkNumber(scope, 'window', o.window, 1);
  const successThreshold = checkInteger(scope, 'successThreshold', o.successThreshold, 1, 1000);
  const halfOpenMaxCalls = checkInteger(
    scope,
    'halfOpenMaxCalls',
    o.halfOpenMaxCalls ?? successThreshold,
    successThreshold,
    1000,
  );
  if (o.isFailure !== undefined && typeof o.isFailure !== 'function') {
    throw new InvalidOptionError(scope, 'isFailure', o.isFailure, 'it must be a predicate (error) => boolean');
  }
  let createStrategy: () => BreakerStrategy;
  if (o.failureRateThreshold !== undefined) {
    const percent = checkNumber(scope, 'failureRateThreshold', o.failureRateThreshold, 1, 100);
    const minimumCalls = checkInteger(scope, 'minimumCalls', o.minimumCalls, 1);
    createStrategy = () => new FailureRateStrategy(percent, minimumCalls, window);
  } else {
    const threshold = checkInteger(scope, 'failureThreshold', o.failureThreshold, 1, 10_000);
    createStrategy = () => new FailureCountStrategy(threshold, window);
  }
  return {
    resetTimeout: checkInteger(scope, 'resetTimeout', o.resetTimeout, 1, 2_147_483_647),
    successThreshold,
    halfOpenMaxCalls,
    slowCallDuration:
      o.slowCallDuration === undefined ? Infinity : checkNumber(scope, 'slowCallDuration', o.slowCallDuration, 1),
    isFailure: o.isFailure ?? defaultIsFailure,
    createStrategy,
  };
}
