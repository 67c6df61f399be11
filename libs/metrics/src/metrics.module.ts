import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module, type NestModule } from '@nestjs/common';
import { IN_FLIGHT_REQUESTS, type InFlightRequests, METRICS_RECORDER } from '@nestjs-reliability/common';
import { Registry } from 'prom-client';
import { HttpMetricsInstaller } from './http-metrics.installer';
import { HttpRequestMetrics } from './http-request.metrics';
import { resolveMetricsOptions, type ResolvedMetricsOptions } from './metrics-options.resolver';
import { RESOLVED_METRICS_OPTIONS } from './metrics-internal.tokens';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './metrics.module-definition';
import type { MetricsModuleOptions } from './metrics.options';
import { MetricsRuntime } from './metrics.runtime';
import { MetricsScraper } from './metrics.scraper';
import { MetricsService } from './metrics.service';
import { METRICS_REGISTRY } from './metrics.tokens';

// Apps that share one registry (the `registry` option) share its request metrics instead of registering them twice.
const requestMetricsByRegistry = new WeakMap<Registry, HttpRequestMetrics>();

function requestMetrics(
  registry: Registry,
  options: ResolvedMetricsOptions,
  inFlight: InFlightRequests | undefined,
): HttpRequestMetrics {
  let metrics = requestMetricsByRegistry.get(registry);
  if (!metrics) {
    metrics = new HttpRequestMetrics(options.httpBuckets, [...options.excludeRoutes, options.path]);
    if (options.httpMetrics) metrics.register(registry, options.prefix);
    requestMetricsByRegistry.set(registry, metrics);
  }
  metrics.inFlightSource ??= inFlight;
  return metrics;
}

/**
 * Prometheus metrics for a Nest app: one registry per app (no global registry, so two apps in one process or a hot
 * reload never meet "already registered"), RED metrics recorded at the HTTP adapter level, Node's default metrics,
 * `event_loop_lag_seconds`, and a `/metrics` endpoint outside Nest's guards (optionally token-protected or on its
 * own port). Global by default.
 */
@Module({
  providers: [
    {
      provide: RESOLVED_METRICS_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: resolveMetricsOptions,
    },
    {
      provide: METRICS_REGISTRY,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: MetricsModuleOptions) => options.registry ?? new Registry(),
    },
    {
      provide: HttpRequestMetrics,
      inject: [METRICS_REGISTRY, RESOLVED_METRICS_OPTIONS, { token: IN_FLIGHT_REQUESTS, optional: true }],
      useFactory: requestMetrics,
    },
    {
      provide: MetricsScraper,
      inject: [METRICS_REGISTRY, RESOLVED_METRICS_OPTIONS],
      useFactory: (registry: Registry, options: ResolvedMetricsOptions) =>
        new MetricsScraper(registry, options.token, options.includeGlobalRegistry),
    },
    MetricsService,
    { provide: METRICS_RECORDER, useExisting: MetricsService },
    MetricsRuntime,
    HttpMetricsInstaller,
  ],
  exports: [METRICS_REGISTRY, MetricsService, METRICS_RECORDER],
})
export class MetricsModule implements NestModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: MetricsModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: MetricsModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<MetricsModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: MetricsModule };
  }

  /** @internal Nest constructs it. */
  constructor(private readonly installer: HttpMetricsInstaller) {}

  configure(): void {
    this.installer.install();
  }
}
