import { decoratedMethod, replaceMethod } from '@nestjs-reliability/common';
import type { MethodSpec, ResilienceRuntime } from '../pipeline/resilience.runtime';
import { defaultRuntime } from './default-runtime';

/** Metadata key under which a decorated method carries its record; kept when other decorators copy metadata. */
export const RESILIENT_METHOD = Symbol.for('nestjs-reliability:resilient-method');

export interface ResilientMethod {
  /** `Class.method`: breaker and metric names default to it, option errors name it. */
  operation: string;
  spec: MethodSpec;
  /** Own property of a discovered instance holding its composed call (bound at `onModuleInit`). */
  slot: symbol;
  original: (this: unknown, ...args: unknown[]) => unknown;
}

const DECORATOR_OF: Record<keyof MethodSpec, string> = {
  fallback: '@Fallback',
  retry: '@Retry',
  circuitBreaker: '@CircuitBreaker',
  timeout: '@Timeout',
  bulkhead: '@Bulkhead',
};

export function resilientMethodOf(fn: unknown): ResilientMethod | undefined {
  return typeof fn === 'function'
    ? (Reflect.getMetadata(RESILIENT_METHOD, fn) as ResilientMethod | undefined)
    : undefined;
}

/** Binds the instance's decorated method to `runtime`; validates its options (throws `InvalidOptionError`). */
export function bindResilientMethod(instance: object, record: ResilientMethod, runtime: ResilienceRuntime): void {
  const invoke = runtime.compose(record.operation, record.spec, record.original);
  Object.defineProperty(instance, record.slot, { value: invoke, configurable: true });
}

/**
 * The one wrapper behind all five decorators: the first of them to run replaces the method, the others only add
 * their part to its record, so the policies apply in the documented order whatever order they are written in.
 * The wrapper keeps the method's name and copies its metadata (route, `@Cron`, ...), and finds its composed call
 * on the instance (bound at discovery) or, for instances discovery never saw, composes it lazily.
 */
export function addPolicy<K extends keyof MethodSpec>(part: K, value: MethodSpec[K]): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const current = decoratedMethod(DECORATOR_OF[part], propertyKey, descriptor);
    let record = resilientMethodOf(current);
    if (record === undefined) {
      const original = current as ResilientMethod['original'];
      const operation = `${(target as { constructor: { name: string } }).constructor.name}.${String(propertyKey)}`;
      const created: ResilientMethod = { operation, spec: {}, slot: Symbol(operation), original };
      const slot = created.slot;
      const wrapper = function (this: Record<symbol, unknown> | undefined, ...args: unknown[]): Promise<unknown> {
        const invoke = (this?.[slot] as ReturnType<ResilienceRuntime['compose']> | undefined) ?? lazy(created);
        return invoke(this, args);
      };
      replaceMethod(descriptor, original, wrapper);
      Reflect.defineMetadata(RESILIENT_METHOD, created, wrapper);
      record = created;
    }
    if (record.spec[part] !== undefined) {
      throw new TypeError(`${DECORATOR_OF[part]} appears twice on ${record.operation}; keep one.`);
    }
    record.spec[part] = value;
    return descriptor;
  };
}

function lazy(record: ResilientMethod): ReturnType<ResilienceRuntime['compose']> {
  return defaultRuntime().compose(record.operation, record.spec, record.original);
}
