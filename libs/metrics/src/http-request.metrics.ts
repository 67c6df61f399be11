import type { InFlightRequests } from '@nestjs-reliability/common';
import { Gauge, type Registry } from 'prom-client';
import { KNOWN_METHODS, OTHER_METHOD, UNMATCHED_ROUTE } from './metrics.constants';
import { MetricView, type MetricViewValue } from './metric.view';

/** Values of the `type` label of `errors_total`: a fixed set, so the label can never grow with traffic. */
export type HttpErrorType = 'server_error' | 'client_closed';
const ERROR_TYPES: readonly HttpErrorType[] = ['server_error', 'client_closed'];

const METHOD_LABELS: readonly string[] = [...KNOWN_METHODS, OTHER_METHOD];
const OTHER_METHOD_INDEX = KNOWN_METHODS.length;

/** Index of a request method in {@link METHOD_LABELS}; anything unusual collapses to `OTHER`. */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'PATCH':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return OTHER_METHOD_INDEX;
  }
}

/** One (route, method, status) combination: the counter, the histogram's buckets, sum and count. */
class RequestSeries {
  readonly labels: Readonly<Record<'method' | 'route' | 'status_code', string>>;
  /** Non-cumulative: observations that fell in each finite bucket. */
  readonly buckets: Float64Array;
  count = 0;
  sum = 0;

  constructor(method: string, route: string, status: number, bucketCount: number) {
    this.labels = { method, route, status_code: String(status) };
    this.buckets = new Float64Array(bucketCount);
  }
}

/** The label children of one route template, looked up once per route/method/status and then reused. */
export class RouteSeries {
  private readonly byMethod: (Map<number, RequestSeries> | undefined)[] = [];

  constructor(
    readonly route: string,
    /** Requests to an excluded route (the metrics endpoint by default) are not recorded at all. */
    readonly excluded: boolean,
    private readonly owner: HttpRequestMetrics,
  ) {}

  series(method: number, status: number): RequestSeries {
    let byStatus = this.byMethod[method];
    if (byStatus === undefined) {
      byStatus = new Map();
      this.byMethod[method] = byStatus;
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      series = this.owner.createSeries(METHOD_LABELS[method], this.route, status);
      byStatus.set(status, series);
    }
    return series;
  }
}

/**
 * RED metrics of HTTP requests, recorded without allocating on the request path: no label objects, no string
 * formatting, no hashing. prom-client's own children rebuild a label hash on every `inc`/`observe`, so the series
 * live here and the registry reads them through two small read-only metric views at scrape time.
 * Framework-free; the Fastify and Express bindings call {@link requestStarted} and {@link requestFinished}.
 */
export class HttpRequestMetrics {
  /** Requests received and not yet answered (or abandoned). */
  inFlight = 0;
  /** Graceful shutdown's count, reported instead of ours when the app has it: one number for both. */
  inFlightSource: InFlightRequests | undefined;
  readonly unmatched: RouteSeries;
  private readonly routes = new Map<string, RouteSeries>();
  private readonly allSeries: RequestSeries[] = [];
  private readonly errors = new Float64Array(ERROR_TYPES.length);
  private readonly excluded: ReadonlySet<string>;

  constructor(
    readonly buckets: readonly number[],
    excludeRoutes: readonly string[] = [],
  ) {
    this.excluded = new Set(excludeRoutes);
    this.unmatched = new RouteSeries(UNMATCHED_ROUTE, false, this);
  }

  /** The series of a route template (e.g. `/organizations/:id`). Templates come from the router, never from the URL. */
  route(template: string): RouteSeries {
    let route = this.routes.get(template);
    if (route === undefined) {
      route = new RouteSeries(template, this.excluded.has(template), this);
      this.routes.set(template, route);
    }
    return route;
  }

  requestStarted(): void {
    this.inFlight++;
  }

  /** A response was sent completely. */
  requestFinished(route: RouteSeries, method: string | undefined, status: number, seconds: number): void {
    this.inFlight--;
    if (route.excluded) return;
    const series = route.series(methodIndex(method), status);
    series.count++;
    series.sum += seconds;
    const bounds = this.buckets;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        series.buckets[i]++;
        break;
      }
    }
    if (status >= 500) this.errors[0]++;
  }

  /** The connection closed before the response was complete: there is no status to record and no latency a client saw. */
  requestAbandoned(route: RouteSeries | undefined): void {
    this.inFlight--;
    if (route?.excluded !== true) this.errors[1]++;
  }

  /** @internal Called by {@link RouteSeries} the first time a combination is seen. */
  createSeries(method: string, route: string, status: number): RequestSeries {
    const series = new RequestSeries(method, route, status, this.buckets.length);
    this.allSeries.push(series);
    return series;
  }

  /**
   * Registers `http_requests_total`, `http_request_duration_seconds`, `http_requests_in_flight` and `errors_total`
   * (names after `prefix`). Registering the same instance twice is a no-op.
   */
  register(registry: Registry, prefix: string): void {
    const labelNames = ['method', 'route', 'status_code'];
    const duration = `${prefix}http_request_duration_seconds`;
    new MetricView(registry, {
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests answered, by route template, method and status code.',
      type: 'counter',
      labelNames,
      values: () => this.requestValues(),
    });
    new MetricView(registry, {
      name: duration,
      help: 'Time from routing an HTTP request to sending the last byte of its response.',
      type: 'histogram',
      labelNames,
      values: () => this.durationValues(duration),
    });
    new MetricView(registry, {
      name: `${prefix}errors_total`,
      help: 'Requests answered with a 5xx status (server_error) or abandoned by the client before the response was complete (client_closed).',
      type: 'counter',
      labelNames: ['type'],
      values: () => this.errorValues(),
    });
    const inFlight = (): number => this.inFlightSource?.inFlight ?? this.inFlight;
    new Gauge({
      name: `${prefix}http_requests_in_flight`,
      help: 'HTTP requests received and not yet answered.',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
  }

  private requestValues(): MetricViewValue[] {
    return this.allSeries.map((series) => ({ labels: series.labels, value: series.count }));
  }

  private durationValues(name: string): MetricViewValue[] {
    const values: MetricViewValue[] = [];
    for (const series of this.allSeries) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.buckets[i];
        values.push({ metricName: `${name}_bucket`, labels: { ...series.labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${name}_count`, labels: series.labels, value: series.count });
    }
    return values;
  }

  private errorValues(): MetricViewValue[] {
    return ERROR_TYPES.map((type, i) => ({ labels: { type }, value: this.errors[i] }));
  }
}
