import { decoratedMethod, replaceMethod } from '@nestjs-reliability/common';
import { DECORATOR_OF, ResilienceRuntime, type Invoke, type MethodSpec } from '../pipeline/resilience.runtime';

/** Metadata key under which a decorated method carries its record; kept when other decorators copy metadata. */
export const RESILIENT_METHOD = Symbol.for('nestjs-reliability:resilient-method');

/** One decorated method. Its identity (not its label) keys its composed call and its breaker in each runtime. */
export interface ResilientMethod {
  /** `Class.method`: a label for metrics, logs and errors, not an identity (two classes can share a name). */
  operation: string;
  spec: MethodSpec;
  /** Own property of an instance holding its composed call (bound at `onModuleInit`, or on its first call). */
  slot: symbol;
  original: (this: unknown, ...args: unknown[]) => unknown;
}

export function resilientMethodOf(fn: unknown): ResilientMethod | undefined {
  return typeof fn === 'function'
    ? (Reflect.getMetadata(RESILIENT_METHOD, fn) as ResilientMethod | undefined)
    : undefined;
}

/** Binds the instance's decorated method to `runtime`; validates its options (throws `InvalidOptionError`). */
export function bindResilientMethod(instance: object, record: ResilientMethod, runtime: ResilienceRuntime): Invoke {
  const invoke = runtime.compose(record, record.operation, record.spec, record.original, instance);
  Object.defineProperty(instance, record.slot, { value: invoke, configurable: true });
  return invoke;
}

/**
 * The one wrapper behind all five decorators: the first of them to run replaces the method, the others only add
 * their part to its record, so the policies apply in the documented order whatever order they are written in.
 * The wrapper keeps the method's name and copies its metadata (route, `@Cron`, ...), and finds its composed call
 * on the instance: bound at discovery to the application's runtime or, for an instance no application bound
 * (`new`), composed on its first call with a runtime of that instance alone.
 */
export function addPolicy<K extends keyof MethodSpec>(part: K, value: MethodSpec[K]): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const current = decoratedMethod(DECORATOR_OF[part], propertyKey, descriptor);
    let record = resilientMethodOf(current);
    if (record === undefined) {
      const original = current as ResilientMethod['original'];
      const className = (typeof target === 'function' ? target : target.constructor).name;
      const operation = `${className}.${String(propertyKey)}`;
      const created: ResilientMethod = { operation, spec: {}, slot: Symbol(operation), original };
      const slot = created.slot;
      const wrapper = function (this: Record<symbol, unknown> | undefined, ...args: unknown[]): Promise<unknown> {
        const invoke = (this?.[slot] as Invoke | undefined) ?? bindUnbound(this, created);
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

/**
 * An instance no application bound (`new`, or no `ResilienceModule`) gets policies of its own: nothing is shared
 * with an application or another instance, and only options work (named policies need the module).
 */
function bindUnbound(instance: unknown, record: ResilientMethod): Invoke {
  if (Object(instance) !== instance) {
    throw new TypeError(`${record.operation} was called without its instance; call it as a method or bind it.`);
  }
  return bindResilientMethod(instance as object, record, new ResilienceRuntime(undefined));
}
