import { checkInteger, InvalidOptionError } from '@nestjs-reliability/common';
import { resolveCircuitBreakerOptions, type CircuitBreakerOptions } from '../breaker/circuit-breaker.options';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy';
import { CircuitBreakerRegistry } from '../breaker/circuit-breaker.registry';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy';
import { FallbackPolicy } from '../fallback/fallback.policy';
import { resolveRetryOptions, type RetryOptions } from '../retry/retry.options';
import { RetryPolicy } from '../retry/retry.policy';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { RESILIENCE_DEFAULTS } from '../resilience.defaults';
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

interface Composed {
  invoke: Invoke;
  /** The method of the instance a `@Fallback('name')` calls, checked on every instance bound to it. */
  fallbackMethod: string | undefined;
}

/**
 * Owns the breakers, retry budgets and bulkheads of one application and composes policies, always in the order
 * Fallback → Retry → CircuitBreaker → CallTimeout (per attempt) → Bulkhead → method. Plain TypeScript.
 *
 * Composed calls are keyed by identity (a decorated method's record, a policy's spec), never by their `Class.method`
 * label: two classes can share a name (minifiers make many), and they must not share state unless they name the
 * same breaker.
 */
export class ResilienceRuntime {
  readonly breakers: CircuitBreakerRegistry;
  private readonly composed = new WeakMap<object, Composed>();
  private readonly labels = new Set<string>();

  /** `config` undefined: no module (an instance Nest never bound), so named policies cannot resolve. */
  constructor(
    readonly config: ResilienceConfig | undefined,
    readonly listener: ResilienceListener = {},
  ) {
    this.breakers = new CircuitBreakerRegistry(listener);
  }

  /**
   * The composed call of `key` (built once, then shared by every instance bound to it): validates every option and
   * throws an `InvalidOptionError` naming the operation, the decorator and the option, also when `instance` lacks the
   * method a `@Fallback` names.
   */
  compose(key: object, operation: string, spec: MethodSpec, method: Method, instance?: object): Invoke {
    let composed = this.composed.get(key);
    if (composed === undefined) {
      composed = this.build(operation, this.uniqueLabel(operation), spec, method);
      this.composed.set(key, composed);
    }
    const handler = composed.fallbackMethod;
    if (handler !== undefined && instance !== undefined && typeof Reflect.get(instance, handler) !== 'function') {
      const className = (instance.constructor as { name?: string } | undefined)?.name ?? 'the instance';
      throw new InvalidOptionError(
        `${operation} @Fallback`,
        'handler',
        handler,
        `it must name a method of ${className}`,
      );
    }
    return composed.invoke;
  }

  /** The breaker named (or, for a method's own breaker, labelled) `name`, once something has used it. */
  breaker(name: string): CircuitBreakerPolicy | undefined {
    return this.breakers.find(name);
  }

  shutdown(): void {
    this.breakers.shutdown();
  }

  /** `operation`, or `operation#2`, `#3`... when another method of this application already has that label. */
  private uniqueLabel(operation: string): string {
    let label = operation;
    for (let n = 2; this.labels.has(label); n++) label = `${operation}#${n}`;
    this.labels.add(label);
    return label;
  }

  /** `operation` names the method in option errors; `label` names its policies in metrics, logs and call errors. */
  private build(operation: string, label: string, methodSpec: MethodSpec, method: Method): Composed {
    const spec = this.resolve(operation, methodSpec);
    // Every layer awaits, so the innermost call may return a plain value.
    let invoke = ((self, args) => method.apply(self, args)) as Invoke;

    if (spec.bulkhead) {
      const scope = `${operation} @Bulkhead`;
      const bulkhead = new BulkheadPolicy(
        label,
        checkInteger(scope, 'maxConcurrent', spec.bulkhead.maxConcurrent, 1),
        checkInteger(scope, 'maxQueue', spec.bulkhead.maxQueue ?? RESILIENCE_DEFAULTS.bulkhead.maxQueue, 0),
      );
      const inner = invoke;
      invoke = (self, args) => bulkhead.execute(() => inner(self, args));
    }

    if (spec.timeout) {
      const ms = checkInteger(`${operation} @CallTimeout`, 'ms', spec.timeout.ms, 1, 2_147_483_647);
      const timeout = new TimeoutPolicy(label, ms);
      const inner = invoke;
      invoke = (self, args) => timeout.execute(() => inner(self, args), currentAbortSignal());
    }

    let fixedBreaker: CircuitBreakerPolicy | undefined;
    if (spec.circuitBreaker) {
      const { name, key, maxKeys = RESILIENCE_DEFAULTS.circuitBreaker.maxKeys, ...options } = spec.circuitBreaker;
      const scope = `${operation} @CircuitBreaker`;
      const resolved = resolveCircuitBreakerOptions(scope, options);
      const inner = invoke;
      if (key === undefined) {
        const breaker = (fixedBreaker =
          name === undefined ? this.breakers.ownBreaker(label, resolved) : this.breakers.shared(name, resolved));
        invoke = (self, args) => breaker.execute(() => inner(self, args));
      } else {
        if (typeof key !== 'function')
          throw new InvalidOptionError(scope, 'key', key, 'it must be a function of the call arguments');
        const group = this.breakers.keyed(name, label, resolved, checkInteger(scope, 'maxKeys', maxKeys, 1));
        const keyOf = key as (...args: unknown[]) => string;
        invoke = (self, args) => group.get(String(keyOf(...args))).execute(() => inner(self, args));
      }
    }

    if (spec.retry) {
      const { operation: retryOperation = label, ...options } = spec.retry;
      const retry = new RetryPolicy(retryOperation, resolveRetryOptions(`${operation} @Retry`, options), this.listener);
      const inner = invoke;
      invoke = (self, args) => retry.execute(() => inner(self, args));
    }

    let fallbackMethod: string | undefined;
    if (spec.fallback) {
      const { handler, ...options } = spec.fallback;
      if (typeof handler !== 'function' && typeof handler !== 'string') {
        throw new InvalidOptionError(
          `${operation} @Fallback`,
          'handler',
          handler,
          'it must be a function or the name of a method',
        );
      }
      if (typeof handler === 'string') fallbackMethod = handler;
      const fallback = new FallbackPolicy(options);
      const counts = fixedBreaker?.calls;
      const onFallback = counts === undefined ? undefined : () => void counts.fallback++;
      const inner = invoke;
      invoke = (self, args) =>
        fallback.execute(
          () => inner(self, args),
          (error) => {
            const fn = (typeof handler === 'string' ? (self as Record<string, unknown>)[handler] : handler) as Method;
            return fn.call(self, error, ...args);
          },
          onFallback,
        );
    }
    return { invoke, fallbackMethod };
  }

  private resolve(operation: string, spec: MethodSpec): PolicySpec {
    const policies = this.config?.policies ?? {};
    const named = <K extends keyof PolicySpec>(part: K): PolicySpec[K] => {
      const value = spec[part];
      if (typeof value !== 'string') return value as PolicySpec[K];
      const found = Object.hasOwn(policies, value) ? policies[value][part] : undefined;
      if (found === undefined) throw this.unknownPolicy(operation, part, value);
      return found;
    };
    const breakerRef = spec.circuitBreaker;
    // A string names a policy, whose breaker it shares by that name; an object's `name` only shares the breaker.
    const breaker =
      breakerRef === undefined
        ? undefined
        : typeof breakerRef === 'string'
          ? { ...this.config?.defaults?.circuitBreaker, name: breakerRef, ...named('circuitBreaker') }
          : {
              ...this.config?.defaults?.circuitBreaker,
              ...(breakerRef.name !== undefined && Object.hasOwn(policies, breakerRef.name)
                ? policies[breakerRef.name].circuitBreaker
                : undefined),
              ...breakerRef,
            };
    const retry = named('retry');
    return {
      fallback: named('fallback'),
      retry: retry === undefined ? undefined : { ...this.config?.defaults?.retry, ...retry },
      circuitBreaker: breaker,
      timeout: named('timeout'),
      bulkhead: named('bulkhead'),
    };
  }

  private unknownPolicy(operation: string, part: keyof PolicySpec, value: string): InvalidOptionError {
    const scope = `${operation} ${DECORATOR_OF[part]}`;
    if (this.config === undefined) {
      return new InvalidOptionError(
        scope,
        'policy',
        value,
        'named policies need an instance Nest created with ResilienceModule; outside DI give options instead',
      );
    }
    const policies = this.config.policies ?? {};
    const candidates = Object.keys(policies).filter((name) => policies[name][part] !== undefined);
    return new InvalidOptionError(
      scope,
      'policy',
      value,
      candidates.length > 0
        ? `it must be one of the policies of ResilienceModule.forRoot({ policies }) that define ${part}: ${candidates.map((c) => JSON.stringify(c)).join(', ')}`
        : `no policy of ResilienceModule.forRoot({ policies }) defines ${part}; add { ${JSON.stringify(value)}: { ${part}: ... } } or give options`,
    );
  }
}

/** The decorator of each part, for messages. */
export const DECORATOR_OF: Record<keyof PolicySpec, string> = {
  fallback: '@Fallback',
  retry: '@Retry',
  circuitBreaker: '@CircuitBreaker',
  timeout: '@CallTimeout',
  bulkhead: '@Bulkhead',
};
