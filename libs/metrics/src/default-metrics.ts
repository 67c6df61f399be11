import { collectDefaultMetrics, type Registry } from 'prom-client';

const LEFT_OUT = [
  // Gauges named like counters (promtool: "non-counter metrics should not have _total suffix"); the same numbers
  // are the sum over `type` of nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
  // Gauges that reset their histogram on every scrape: two Prometheus servers would each see part of the story.
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
];

/**
 * Node's default metrics (CPU, memory, handles, GC durations, ...) into `registry`, under their standard names,
 * once per registry, less the few listed above (`event_loop_lag_seconds` replaces the event-loop gauges).
 */
export function collectDefaultMetricsOnce(registry: Registry): void {
  if (registry.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics({ register: registry });
  for (const name of LEFT_OUT) registry.removeSingleMetric(name);
}
