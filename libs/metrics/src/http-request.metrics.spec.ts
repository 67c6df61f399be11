import { Registry } from 'prom-client';
import { HttpRequestMetrics } from './http-request.metrics';

describe('HttpRequestMetrics', () => {
  it('renders counts, cumulative buckets, sum and count per route, method and status', async () => {
    const metrics = new HttpRequestMetrics([0.01, 0.1, 1]);
    const registry = new Registry();
    metrics.register(registry, 'x_');
    const route = metrics.route('/items/:id');
    for (const seconds of [0.005, 0.05, 0.05, 3]) {
      metrics.requestStarted();
      metrics.requestFinished(route, 'GET', 200, seconds);
    }
    metrics.requestStarted();
    metrics.requestFinished(route, 'GET', 503, 0.2);
    expect(await registry.getSingleMetricAsString('x_http_request_duration_seconds')).toBe(
      [
        '# HELP x_http_request_duration_seconds Time from routing an HTTP request to sending the last byte of its response.',
        '# TYPE x_http_request_duration_seconds histogram',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="200",le="0.01"} 1',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="200",le="0.1"} 3',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="200",le="1"} 3',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="200",le="+Inf"} 4',
        'x_http_request_duration_seconds_sum{method="GET",route="/items/:id",status_code="200"} 3.105',
        'x_http_request_duration_seconds_count{method="GET",route="/items/:id",status_code="200"} 4',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="503",le="0.01"} 0',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="503",le="0.1"} 0',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="503",le="1"} 1',
        'x_http_request_duration_seconds_bucket{method="GET",route="/items/:id",status_code="503",le="+Inf"} 1',
        'x_http_request_duration_seconds_sum{method="GET",route="/items/:id",status_code="503"} 0.2',
        'x_http_request_duration_seconds_count{method="GET",route="/items/:id",status_code="503"} 1',
      ].join('\n'),
    );
    expect(await registry.getSingleMetricAsString('x_errors_total')).toContain('x_errors_total{type="server_error"} 1');
    expect(await registry.getSingleMetricAsString('x_http_requests_in_flight')).toContain(
      'x_http_requests_in_flight 0',
    );
  });

  it('reuses one series per route, method and status, and collapses unusual methods to OTHER', () => {
    const metrics = new HttpRequestMetrics([1]);
    const route = metrics.route('/a');
    expect(metrics.route('/a')).toBe(route);
    expect(route.series(0, 200)).toBe(route.series(0, 200));
    metrics.requestFinished(route, 'PROPFIND', 404, 0.1);
    metrics.requestFinished(route, 'MKCOL', 404, 0.1);
    metrics.requestFinished(route, undefined, 404, 0.1);
    expect(route.series(7, 404).count).toBe(3);
    expect(route.series(7, 404).labels).toEqual({ method: 'OTHER', route: '/a', status_code: '404' });
  });

  it('records nothing for excluded routes and counts abandoned requests once', async () => {
    const metrics = new HttpRequestMetrics([1], ['/metrics']);
    const registry = new Registry();
    metrics.register(registry, '');
    metrics.requestStarted();
    metrics.requestFinished(metrics.route('/metrics'), 'GET', 200, 0.1);
    metrics.requestStarted();
    metrics.requestAbandoned(metrics.route('/slow'));
    expect(await registry.getSingleMetricAsString('http_requests_total')).not.toContain('route=');
    expect(await registry.getSingleMetricAsString('errors_total')).toContain('errors_total{type="client_closed"} 1');
    expect(metrics.inFlight).toBe(0);
  });
});
