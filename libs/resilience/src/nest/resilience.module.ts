import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CircuitBreakersHealth } from './circuit-breakers.health';
import { ConfigurableModuleClass } from './resilience.module-definition';
import { ResilienceExplorer } from './resilience.explorer';
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
export class ResilienceModule extends ConfigurableModuleClass {}
