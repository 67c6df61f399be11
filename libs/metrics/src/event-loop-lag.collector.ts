import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { EVENT_LOOP_LAG_RESOLUTION_MS } from './metrics.constants';
import { MetricView, type MetricViewValue } from './metric.view';

const QUANTILES = [0.5, 0.9, 0.99, 1] as const;
const NS_PER_SECOND = 1e9;

/**
 * `event_loop_lag_seconds`, a summary over `perf_hooks.monitorEventLoopDelay`. Scraping never resets anything:
 * the quantiles are those of the last completed window (rotated by a timer of its own), `_sum` and `_count` grow
 * from start, so any number of Prometheus servers scraping the same process read the same numbers.
 * prom-client's `nodejs_eventloop_lag_p99_seconds` and friends reset the histogram on every scrape instead.
 */
export class EventLoopLagCollector {
  private readonly histogram: ELDHistogram;
  private readonly resolutionNs = EVENT_LOOP_LAG_RESOLUTION_MS * 1e6;
  private timer: NodeJS.Timeout | undefined;
  private quantiles: number[] = QUANTILES.map(() => 0);
  private sum = 0;
  private count = 0;

  constructor(
    registry: Registry,
    name: string,
    private readonly windowMs: number,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_LAG_RESOLUTION_MS });
    new MetricView(registry, {
      name,
      help: `Event loop delay in seconds: quantiles over the last ${windowMs / 1000} s window, sum and count since start.`,
      type: 'summary',
      labelNames: ['quantile'],
      values: () => this.values(name),
    });
  }

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.rotate(), this.windowMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  /** Closes the current window: publishes its quantiles, adds it to the totals, starts the next one. */
  rotate(): void {
    const histogram = this.histogram;
    if (histogram.count === 0) return;
    // Each sample is the time between two ticks of a `resolution` ms timer; the lag is what exceeds it.
    const lag = (ns: number): number => Math.max(0, ns - this.resolutionNs) / NS_PER_SECOND;
    this.quantiles = QUANTILES.map((q) => lag(q === 1 ? histogram.max : histogram.percentile(q * 100)));
    this.sum += lag(histogram.mean) * histogram.count;
    this.count += histogram.count;
    histogram.reset();
  }

  private values(name: string): MetricViewValue[] {
    return [
      ...QUANTILES.map((quantile, i) => ({ labels: { quantile }, value: this.quantiles[i] })),
      { metricName: `${name}_sum`, labels: {}, value: this.sum },
      { metricName: `${name}_count`, labels: {}, value: this.count },
    ];
  }
}
