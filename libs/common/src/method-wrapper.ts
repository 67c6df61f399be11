/// <reference types="reflect-metadata" />
/** A method of any receiver and arguments, as `replaceMethod` and `decoratedMethod` take and return it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any receiver and arguments
export type AnyMethod = (this: any, ...args: any[]) => unknown;

/**
 * Replaces a decorated method with `wrapper`, keeping what other decorators rely on: the method's name and every
 * metadata entry on it (routes, `@Cron`, `@Interval`, ...), whichever order the decorators are written in.
 * The one way every package's method decorators bind.
 */
export function replaceMethod<M extends AnyMethod>(descriptor: PropertyDescriptor, original: AnyMethod, wrapper: M): M {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
  }
  descriptor.value = wrapper;
  return wrapper;
}

/** The method a method decorator is applied to; a clear TypeError when it is not a method. */
export function decoratedMethod(
  decorator: string,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): AnyMethod {
  if (typeof descriptor.value !== 'function') {
    throw new TypeError(`${decorator} can only decorate a method; ${String(propertyKey)} is not one.`);
  }
  return descriptor.value as AnyMethod;
}
