import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { ConfigurableModuleClass } from './lock.module-definition';
import type { LockModuleOptions } from './lock.options';
import { LeaderService } from './leader.service';
import { LockService } from './lock.service';
import { LOCK_SERVICE, WITH_LOCK } from './with-lock.decorator';

/**
 * `LockModule.forRoot({ clients: [redis] })` (or `forRootAsync` to take the client from your Redis wrapper).
 * Gives `LockService` and makes `@WithLock` work on the application's providers and controllers.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [LockService, LeaderService],
  exports: [LockService, LeaderService],
})
export class LockModule implements OnModuleInit {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: LockModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: LockModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<LockModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: LockModule };
  }

  /** @internal Nest constructs it. */
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly locks: LockService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as object | undefined;
      if (instance && Reflect.getMetadata(WITH_LOCK, instance.constructor)) {
        Object.defineProperty(instance, LOCK_SERVICE, { value: this.locks, enumerable: false });
      }
    }
  }
}
