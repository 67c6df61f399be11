import { checkInteger, checkNumber, checkOneOf, InvalidOptionError } from '@nestjs-reliability/common';
import { RESILIENCE_DEFAULTS } from '../resilience.defaults';
import { JITTERS, type BackoffOptions, type Jitter } from './backoff';
import { isTransientError } from './error-classification';
import type { RetryBudgetOptions } from './retry-budget';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

export interface RetryEvent {
  operation: string;
  /** The attempt that just failed (1 for the first call). */
  attempt: number;
  /** Wait before the next attempt, ms. */
  delay: number;
  error: unknown;
}

export interface RetryOptions {
  /** Total attempts including the first call. Default 3. */
  maxAttempts?: number;
  /** Delay before the first retry, ms, before jitter. Default 100. */
  initialDelay?: number;
  /** Upper bound of a computed delay, ms. Default 10 000. */
  maxDelay?: number;
  /** Growth of the delay per attempt. Default 2. */
  factor?: number;
  /** Default `full`. */
  jitter?: Jitter;
  /** Error classes to retry, or a predicate. Default: network errors, timeouts, HTTP 5xx, 408 and 429; never other 4xx. */
  retryOn?: readonly ErrorClass[] | ((error: unknown, attempt: number) => boolean);
  /** Called before each wait. */
  onRetry?: (event: RetryEvent) => void;
  /** No retry starts once this many ms have passed since the call began (or would pass during the wait). */
  maxDuration?: number;
  /** Finagle-style budget per operation (on by default); `false` turns it off. */
  retryBudget?: RetryBudgetOptions | false;
}

export interface ResolvedRetryOptions extends BackoffOptions {
  maxAttempts: number;
  maxDuration: number;
  retryOn: (error: unknown, attempt: number) => boolean;
  onRetry: ((event: RetryEvent) => void) | undefined;
  retryBudget: RetryBudgetOptions | false;
}

/** Validates and fills in defaults; `scope` names the method or policy in error messages. */
export function resolveRetryOptions(scope: string, options: RetryOptions = {}): ResolvedRetryOptions {
  const o = { ...RESILIENCE_DEFAULTS.retry, ...options };
  const initialDelay = checkNumber(scope, 'initialDelay', o.initialDelay, 0);
  const retryOn = o.retryOn ?? isTransientError;
  if (typeof retryOn !== 'function' && !Array.isArray(retryOn)) {
    throw new InvalidOptionError(scope, 'retryOn', retryOn, 'it must be an array of error classes or a predicate');
  }
  if (o.onRetry !== undefined && typeof o.onRetry !== 'function') {
    throw new InvalidOptionError(scope, 'onRetry', o.onRetry, 'it must be a function');
  }
  const classes = Array.isArray(retryOn) ? (retryOn as readonly ErrorClass[]) : undefined;
  return {
    maxAttempts: checkInteger(scope, 'maxAttempts', o.maxAttempts, 1, 100),
    initialDelay,
    maxDelay: checkNumber(scope, 'maxDelay', o.maxDelay, initialDelay),
    factor: checkNumber(scope, 'factor', o.factor, 1),
    jitter: checkOneOf(scope, 'jitter', o.jitter, JITTERS),
    maxDuration: o.maxDuration === undefined ? Infinity : checkNumber(scope, 'maxDuration', o.maxDuration, 0),
    retryOn: classes
      ? (error) => classes.some((c) => error instanceof c)
      : (retryOn as ResolvedRetryOptions['retryOn']),
    onRetry: o.onRetry,
    retryBudget: o.retryBudget ?? RESILIENCE_DEFAULTS.retry.retryBudget,
  };
}
