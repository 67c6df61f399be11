import type { Registry } from 'prom-client';
import { DEFAULT_EVENT_LOOP_LAG_WINDOW_MS, DEFAULT_HTTP_BUCKETS, DEFAULT_METRICS_PATH } from './metrics.constants';

/** The defaults, declared once. */
export const METRICS_DEFAULTS = {
  prefix: '',
  httpMetrics: true,
  httpBuckets: DEFAULT_HTTP_BUCKETS,
  excludeRoutes: [],
  endpoint: true,
  path: DEFAULT_METRICS_PATH,
  defaultMetrics: true,
  eventLoopLagWindowMs: DEFAULT_EVENT_LOOP_LAG_WINDOW_MS,
  includeGlobalRegistry: true,
} as const;

export interface MetricsModuleOptions {
  /** Prepended to the name of every metric created through `MetricsService` (e.g. `enterprise_service_`). */
  prefix?: string;
  /** Use this registry instead of a fresh one per application. */
  registry?: Registry;
  /** Record `http_requests_total`, `http_request_duration_seconds`, `http_requests_in_flight`, `errors_total`. Default `true`. */
  httpMetrics?: boolean;
  /** Upper bounds in seconds of `http_request_duration_seconds`: positive, strictly increasing. Default: the contract's. */
  httpBuckets?: readonly number[];
  /** Route templates (as they appear in the `route` label) not recorded. The metrics path is always excluded. */
  excludeRoutes?: readonly string[];
  /** Serve the registry in Prometheus text format. Default `true`. */
  endpoint?: boolean;
  /** Path of the endpoint; absolute, not subject to the app's global prefix. Default `/metrics`. */
  path?: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`; anything else gets 401. */
  token?: string;
  /** When set, the endpoint is served only on this port by a server of its own (closed on shutdown), not on the app's. */
  port?: number;
  /** Interface of the separate metrics server. Default: all interfaces. */
  host?: string;
  /** Collect prom-client's default Node.js metrics (GC durations included) into the registry. Default `true`. */
  defaultMetrics?: boolean;
  /** Window whose quantiles `event_loop_lag_seconds` reports, in ms (1000–300000). Default 10000. */
  eventLoopLagWindowMs?: number;
  /**
   * Also serve metrics of prom-client's global registry (where `@willsoto/nestjs-prometheus`'s `makeCounterProvider`
   * and friends register) on the endpoint. A name present in both is served from the app's registry. Default `true`.
   */
  includeGlobalRegistry?: boolean;
}
