import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration, Metric } from 'prom-client';
import { MODULE_OPTIONS_TOKEN } from './metrics.module-definition';
import type { MetricsModuleOptions } from './metrics.options';
import { METRICS_REGISTRY } from './metrics.tokens';

/**
 * Get-or-create access to the application's metrics registry, with the configured prefix applied.
 * Asking twice for the same name returns the same metric, so libraries, tests that build several apps,
 * and hot reloads never meet prom-client's "metric already registered" error.
 */
@Injectable()
export class MetricsService {
  readonly prefix: string;

  constructor(
    @Inject(METRICS_REGISTRY) readonly registry: Registry,
    @Inject(MODULE_OPTIONS_TOKEN) options: MetricsModuleOptions,
  ) {
    this.prefix = options.prefix ?? '';
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.getOrCreate(config, Counter, 'counter') as Counter<L>;
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.getOrCreate(config, Gauge, 'gauge') as Gauge<L>;
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.getOrCreate(config, Histogram, 'histogram') as Histogram<L>;
  }

  private getOrCreate<C extends { name: string; labelNames?: readonly string[] }>(
    config: C,
    MetricClass: new (config: C & { registers: Registry[] }) => Metric,
    type: string,
  ): Metric {
    const name = this.prefix + config.name;
    const existing: (Metric & { type?: string; labelNames?: string[] }) | undefined =
      this.registry.getSingleMetric(name);
    if (existing) {
      const labels = [...(config.labelNames ?? [])].sort().join(',');
      if (existing.type !== type || [...(existing.labelNames ?? [])].sort().join(',') !== labels) {
        throw new Error(
          `Metric "${name}" is already registered as a ${existing.type} with labels [${existing.labelNames?.join(', ')}]; ` +
            `it cannot also be a ${type} with labels [${labels}]. Use another name.`,
        );
      }
      return existing;
    }
    return new MetricClass({ ...config, name, registers: [this.registry] });
  }
}
