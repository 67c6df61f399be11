import { EventLoopLagMonitor } from '@nestjs-reliability/common';
import type { Registry } from 'prom-client';
import { MetricView, type MetricViewValue } from './metric.view';

const QUANTILES = [0.5, 0.9, 0.99, 1] as const;
const MS_PER_SECOND = 1e3;

/**
 * `event_loop_lag_seconds`, a summary over the shared `EventLoopLagMonitor` (the one health's liveness reads).
 * Scraping never resets anything: the quantiles are those of the last completed window, `_sum` and `_count` grow
 * from start, so any number of Prometheus servers scraping the same process read the same numbers.
 * prom-client's `nodejs_eventloop_lag_p99_seconds` and friends reset the histogram on every scrape instead.
 */
export class EventLoopLagCollector {
  readonly monitor: EventLoopLagMonitor;

  constructor(registry: Registry, name: string, windowMs: number) {
    this.monitor = new EventLoopLagMonitor(windowMs);
    new MetricView(registry, {
      name,
      help: `Event loop delay in seconds: quantiles over the last ${windowMs / 1000} s window, sum and count since start.`,
      type: 'summary',
      labelNames: ['quantile'],
      values: () => this.values(name),
    });
  }

  private values(name: string): MetricViewValue[] {
    const { p50, p90, p99, max, sumMs, count } = this.monitor.summary;
    return [
      ...[p50, p90, p99, max].map((ms, i) => ({ labels: { quantile: QUANTILES[i] }, value: ms / MS_PER_SECOND })),
      { metricName: `${name}_sum`, labels: {}, value: sumMs / MS_PER_SECOND },
      { metricName: `${name}_count`, labels: {}, value: count },
    ];
  }
}
