import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import { collectDefaultMetricsOnce } from './default-metrics';
import { EventLoopLagCollector } from './event-loop-lag.collector';
import type { ResolvedMetricsOptions } from './metrics-options.resolver';
import { RESOLVED_METRICS_OPTIONS } from './metrics-internal.tokens';
import { MetricsScraper } from './metrics.scraper';
import { MetricsServer } from './metrics.server';
import { METRICS_REGISTRY } from './metrics.tokens';

/**
 * Process-level collectors and the separate metrics listener, started with the app and stopped at its very end
 * (`onApplicationShutdown`), so a scrape during the shutdown drain still sees the process.
 */
@Injectable()
export class MetricsRuntime implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private eventLoopLag: EventLoopLagCollector | undefined;
  private server: MetricsServer | undefined;

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(RESOLVED_METRICS_OPTIONS) private readonly options: ResolvedMetricsOptions,
    private readonly scraper: MetricsScraper,
  ) {}

  onModuleInit(): void {
    if (this.options.defaultMetrics) collectDefaultMetricsOnce(this.registry);
    const name = `${this.options.prefix}event_loop_lag_seconds`;
    // A registry shared by several apps keeps the collector of the first one.
    if (!this.registry.getSingleMetric(name)) {
      this.eventLoopLag = new EventLoopLagCollector(this.registry, name, this.options.eventLoopLagWindowMs);
      this.eventLoopLag.monitor.start();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const { endpoint, port, host, path } = this.options;
    if (!endpoint || port === undefined) return;
    this.server = new MetricsServer(this.scraper, path);
    await this.server.listen(port, host);
    this.logger.log(`Serving ${path} on port ${this.server.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.eventLoopLag?.monitor.stop();
    await this.server?.close();
  }
}
