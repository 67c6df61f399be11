import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass } from './jobs.module-definition';
import type { JobsModuleOptions } from './jobs.options';
import { JobsService } from './jobs.service';

/**
 * `JobsModule.forRoot({ correlationId: () => currentRequestId() })` next to `BullModule.forRoot(...)`: the
 * application's `@nestjs/bullmq` workers and queues get shutdown, readiness, recovery, metrics and correlation.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: JobsModuleOptions & { isGlobal?: boolean } = {}): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: JobsModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<JobsModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: JobsModule };
  }
}
