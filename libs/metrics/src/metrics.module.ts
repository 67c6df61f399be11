import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './metrics.module-definition';
import type { MetricsModuleOptions } from './metrics.options';
import { MetricsService } from './metrics.service';
import { METRICS_REGISTRY } from './metrics.tokens';

@Module({
  providers: [
    {
      provide: METRICS_REGISTRY,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: MetricsModuleOptions) => options.registry ?? new Registry(),
    },
    MetricsService,
  ],
  exports: [METRICS_REGISTRY, MetricsService],
})
export class MetricsModule extends ConfigurableModuleClass {}
