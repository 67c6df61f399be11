import { decoratedMethod, replaceMethod } from '@nestjs-reliability/common';
import type { LockService, RunOptions } from './lock.service';

/** Set on instances by LockModule so a decorated method finds the LockService of its own application. */
export const LOCK_SERVICE = Symbol('nestjs-reliability:lock-service');
export const WITH_LOCK = Symbol('nestjs-reliability:with-lock');

export interface WithLockOptions extends RunOptions {
  /** When the lock is held elsewhere: `skip` returns undefined (right for `@Cron` jobs), `throw` raises. */
  whenLocked?: 'skip' | 'throw';
}

/**
 * Runs the method on one instance at a time across all instances sharing the lock's Redis. Stacks with
 * `@Cron`, `@Interval` and other method decorators in any order: it keeps the method's name and copies its
 * metadata. Inside the method, `currentAbortSignal()` aborts when the lock is lost and `currentLock()` gives its
 * `fencingToken`.
 */
export function WithLock(resource: string, options: WithLockOptions = {}): MethodDecorator {
  return (target, propertyKey, descriptor: PropertyDescriptor) => {
    const original = decoratedMethod('@WithLock', propertyKey, descriptor);
    const { whenLocked = 'skip', ...runOptions } = options;
    const wrapped = replaceMethod(
      descriptor,
      original,
      async function (this: Record<symbol, LockService | undefined>, ...args: unknown[]) {
        const locks = this[LOCK_SERVICE];
        if (!locks) {
          throw new Error(
            `@WithLock("${resource}") on ${target.constructor.name}.${String(propertyKey)} has no LockService: ` +
              'import LockModule.forRoot(...) in the application and let Nest create this class.',
          );
        }
        const run = (): unknown => original.apply(this, args);
        if (whenLocked === 'throw') return locks.run(resource, run, runOptions);
        const outcome = await locks.tryRun(resource, run, runOptions);
        return outcome.acquired ? outcome.value : undefined;
      },
    );
    Reflect.defineMetadata(WITH_LOCK, resource, wrapped);
    Reflect.defineMetadata(WITH_LOCK, true, target.constructor);
  };
}
