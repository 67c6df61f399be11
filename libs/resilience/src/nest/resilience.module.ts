import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CircuitBreakersHealth } from './circuit-breakers.health';
import { ConfigurableModuleClass } from './resilience.module-definition';
import { ResilienceExplorer } from './resilience.explorer';
import type { ResilienceModuleOptions } from './resilience.options';
import { resilienceRuntimeProvider } from './resilience-runtime.provider';
import { ResilienceService } from './resilience.service';

/**
 * `ResilienceModule.forRoot({ defaults, policies, health })` (global by default) or `forRootAsync({ useFactory })`.
 * Binds `@Retry`, `@CircuitBreaker`, `@CallTimeout`, `@Fallback`, `@Bulkhead` methods to one runtime per application,
 * with metrics when `MetricsModule` is present and a readiness check when `HealthRegistry` is.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [resilienceRuntimeProvider, ResilienceService, ResilienceExplorer, CircuitBreakersHealth],
  exports: [ResilienceService],
})
export class ResilienceModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: ResilienceModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: ResilienceModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<ResilienceModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: ResilienceModule };
  }
}
