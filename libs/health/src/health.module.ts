import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_CHECK_REGISTRY, STARTUP_GATE } from '@nestjs-reliability/common';
import { HEALTH_MODULE_OPTIONS, ConfigurableModuleClass } from './health.module-definition';
import { type HealthModuleOptions, resolveHealthOptions } from './health.options';
import { HealthProbeRoutes } from './health-probe.routes';
import { HealthRegistry } from './health.registry';
import { HealthService } from './health.service';
import { RESOLVED_HEALTH_OPTIONS } from './health.tokens';
import { StartupGate } from './startup.gate';

/**
 * `/health/liveness`, `/health/readiness` and `/health/startup`, the built-in MongoDB, Redis and memory checks,
 * and the registry other modules add their checks to. Global by default; re-exports terminus's
 * `HealthIndicatorService` so indicators anywhere can build their results.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), DiscoveryModule],
  providers: [
    { provide: RESOLVED_HEALTH_OPTIONS, useFactory: resolveHealthOptions, inject: [HEALTH_MODULE_OPTIONS] },
    HealthRegistry,
    { provide: HEALTH_CHECK_REGISTRY, useExisting: HealthRegistry },
    StartupGate,
    { provide: STARTUP_GATE, useExisting: StartupGate },
    HealthService,
    HealthProbeRoutes,
  ],
  exports: [HealthRegistry, HEALTH_CHECK_REGISTRY, StartupGate, STARTUP_GATE, TerminusModule],
})
export class HealthModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: HealthModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: HealthModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<HealthModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: HealthModule };
  }
}
