import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module } from '@nestjs/common';
import { IN_FLIGHT_REQUESTS, SHUTDOWN_COORDINATOR } from '@nestjs-reliability/common';
import { ConfigurableModuleClass } from './shutdown.module-definition';
import type { ShutdownModuleOptions } from './shutdown.options';
import { ShutdownService } from './shutdown.service';

/**
 * Graceful shutdown: `ShutdownModule.forRoot({ drainDelayMs, timeoutMs })` (global), then in main.ts
 * `app.get(ShutdownService).attach(app)` instead of `app.enableShutdownHooks()`.
 */
@Module({
  providers: [
    ShutdownService,
    { provide: SHUTDOWN_COORDINATOR, useExisting: ShutdownService },
    { provide: IN_FLIGHT_REQUESTS, useExisting: ShutdownService },
  ],
  exports: [ShutdownService, SHUTDOWN_COORDINATOR, IN_FLIGHT_REQUESTS],
})
export class ShutdownModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: ShutdownModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: ShutdownModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<ShutdownModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: ShutdownModule };
  }
}
