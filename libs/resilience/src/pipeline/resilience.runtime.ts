import { checkInteger, InvalidOptionError } from '@nestjs-reliability/common';
import { resolveCircuitBreakerOptions, type CircuitBreakerOptions } from '../breaker/circuit-breaker.options';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy';
import { CircuitBreakerRegistry } from '../breaker/circuit-breaker.registry';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy';
import { FallbackPolicy } from '../fallback/fallback.policy';
import { resolveRetryOptions, type RetryOptions } from '../retry/retry.options';
import { RetryPolicy } from '../retry/retry.policy';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { TimeoutPolicy } from '../timeout/timeout.policy';
import type { PolicySpec } from './policy-spec';
import type { ResilienceListener } from './resilience-listener';

/** A part of a method's spec may name a policy of `ResilienceConfig.policies` instead of giving options. */
export type MethodSpec = { [K in keyof PolicySpec]?: PolicySpec[K] | string };

export interface ResilienceConfig {
  /** Options every retry and breaker starts from. */
  defaults?: { retry?: RetryOptions; circuitBreaker?: CircuitBreakerOptions };
  /** Named policy sets, for `ResilienceService.execute(name, fn)` and for decorators that refer to them by name. */
  policies?: Record<string, PolicySpec>;
}

/** Runs `method` with `self` as `this` under the composed policies. */
export type Invoke = (self: unknown, args: unknown[]) => Promise<unknown>;
type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Owns the breakers, retry budgets and bulkheads of one application and composes policies, always in the order
 * Fallback → Retry → CircuitBreaker → Timeout (per attempt) → Bulkhead → method. Plain TypeScript.
 */
export class ResilienceRuntime {
  readonly breakers: CircuitBreakerRegistry;
  private readonly composed = new Map<string, Invoke>();

  constructor(
    readonly config: ResilienceConfig = {},
    readonly listener: ResilienceListener = {},
  ) {
    this.breakers = new CircuitBreakerRegistry(listener);
  }

  /**
   * The composed call of `operation` (built once, then shared): validates every option and throws an
   * `InvalidOptionError` naming the operation, the decorator and the option.
   */
  compose(operation: string, spec: MethodSpec, method: Method): Invoke {
    let invoke = this.composed.get(operation);
    if (invoke === undefined) {
      invoke = this.build(operation, spec, method);
      this.composed.set(operation, invoke);
    }
    return invoke;
  }

  /** The breaker named `name`, once something has used it. */
  breaker(name: string): CircuitBreakerPolicy | undefined {
    return this.breakers.find(name);
  }

  shutdown(): void {
    this.breakers.shutdown();
    this.composed.clear();
  }

  private build(operation: string, methodSpec: MethodSpec, method: Method): Invoke {
    const spec = this.resolve(operation, methodSpec);
    // Every layer awaits, so the innermost call may return a plain value.
    let invoke = ((self, args) => method.apply(self, args)) as Invoke;

    if (spec.bulkhead) {
      const scope = `${operation} @Bulkhead`;
      const bulkhead = new BulkheadPolicy(
        operation,
        checkInteger(scope, 'maxConcurrent', spec.bulkhead.maxConcurrent, 1),
        checkInteger(scope, 'maxQueue', spec.bulkhead.maxQueue ?? 0, 0),
      );
      const inner = invoke;
      invoke = (self, args) => bulkhead.execute(() => inner(self, args));
    }

    if (spec.timeout) {
      const ms = checkInteger(`${operation} @Timeout`, 'ms', spec.timeout.ms, 1, 2_147_483_647);
      const timeout = new TimeoutPolicy(operation, ms);
      const inner = invoke;
      invoke = (self, args) => timeout.execute(() => inner(self, args), currentAbortSignal());
    }

    let fixedBreaker: CircuitBreakerPolicy | undefined;
    if (spec.circuitBreaker) {
      const { name = operation, key, maxKeys = 100, ...options } = spec.circuitBreaker;
      const scope = `${operation} @CircuitBreaker`;
      const resolved = resolveCircuitBreakerOptions(scope, options);
      const inner = invoke;
      if (key === undefined) {
        const breaker = (fixedBreaker = this.breakers.get(name, resolved));
        invoke = (self, args) => breaker.execute(() => inner(self, args));
      } else {
        if (typeof key !== 'function')
          throw new InvalidOptionError(scope, 'key', key, 'it must be a function of the call arguments');
        checkInteger(scope, 'maxKeys', maxKeys, 1);
        const keyOf = key as (...args: unknown[]) => string;
        invoke = (self, args) =>
          this.breakers.getKeyed(name, String(keyOf(...args)), resolved, maxKeys).execute(() => inner(self, args));
      }
    }

    if (spec.retry) {
      const { operation: retryOperation = operation, ...options } = spec.retry;
      const retry = new RetryPolicy(retryOperation, resolveRetryOptions(`${operation} @Retry`, options), this.listener);
      const inner = invoke;
      invoke = (self, args) => retry.execute(() => inner(self, args));
    }

    if (spec.fallback) {
      const { handler, ...options } = spec.fallback;
      const fallback = new FallbackPolicy(options);
      const scope = `${operation} @Fallback`;
      if (typeof handler !== 'function' && typeof handler !== 'string') {
        throw new InvalidOptionError(scope, 'handler', handler, 'it must be a function or the name of a method');
      }
      const counts = fixedBreaker?.calls;
      const onFallback = counts === undefined ? undefined : () => void counts.fallback++;
      const inner = invoke;
      invoke = (self, args) =>
        fallback.execute(
          () => inner(self, args),
          (error) => {
            const fn = typeof handler === 'string' ? (self as Record<string, unknown>)[handler] : handler;
            if (typeof fn !== 'function') {
              throw new InvalidOptionError(scope, 'handler', handler, 'it must name a method of the instance');
            }
            return (fn as Method).call(self, error, ...args);
          },
          onFallback,
        );
    }
    return invoke;
  }

  private resolve(operation: string, spec: MethodSpec): PolicySpec {
    const policies = this.config.policies ?? {};
    const named = <K extends keyof PolicySpec>(part: K, decorator: string): PolicySpec[K] => {
      const value = spec[part];
      if (typeof value !== 'string') return value as PolicySpec[K];
      const found = policies[value]?.[part];
      if (found === undefined && part !== 'circuitBreaker') {
        throw new InvalidOptionError(
          `${operation} ${decorator}`,
          'policy',
          value,
          `define it in ResilienceModule.forRoot({ policies: { ${value}: { ${part}: ... } } })`,
        );
      }
      return found;
    };
    const breakerRef = spec.circuitBreaker;
    const breakerName = typeof breakerRef === 'string' ? breakerRef : breakerRef?.name;
    const breaker =
      breakerRef === undefined
        ? undefined
        : {
            ...this.config.defaults?.circuitBreaker,
            ...(breakerName === undefined ? undefined : policies[breakerName]?.circuitBreaker),
            ...(typeof breakerRef === 'string' ? { name: breakerRef } : breakerRef),
          };
    const retry = named('retry', '@Retry');
    return {
      fallback: named('fallback', '@Fallback'),
      retry: retry === undefined ? undefined : { ...this.config.defaults?.retry, ...retry },
      circuitBreaker: breaker,
      timeout: named('timeout', '@Timeout'),
      bulkhead: named('bulkhead', '@Bulkhead'),
    };
  }
}
