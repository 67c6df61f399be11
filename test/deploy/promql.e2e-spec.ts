import { exposedNames, metricNames, withVariables } from './promql';

// The metric-name extraction the dashboard and rule checks rely on.
describe('metricNames', () => {
  it('finds selected metrics and skips functions, keywords, grouping labels, label values and durations', () => {
    const expr =
      'histogram_quantile(0.95, sum by (route, le) (rate(enterprise_service_http_request_duration_seconds_bucket{job="a", route!~"/health/.*|/metrics"}[5m]))) > 1 ' +
      'and on (namespace) namespace_job:enterprise_service_http_requests:rate5m > 0.5 or absent(up{job="enterprise-service"}) ' +
      'or max by (pod) (nodejs_heap_size_used_bytes / nodejs_heap_size_total_bytes) > 1e3';
    expect(metricNames(expr).sort()).toEqual([
      'enterprise_service_http_request_duration_seconds_bucket',
      'namespace_job:enterprise_service_http_requests:rate5m',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
      'up',
    ]);
  });
});

describe('withVariables', () => {
  it('replaces Grafana variables with values Prometheus accepts', () => {
    expect(
      withVariables('rate(x{namespace=~"$namespace", pod=~"${pod}"}[$__rate_interval])', { namespace: 'e2e' }),
    ).toBe('rate(x{namespace=~"e2e", pod=~".*"}[5m])');
  });
});

describe('exposedNames', () => {
  it('expands histograms and summaries to the series they expose', () => {
    const scrape = '# HELP a_seconds x\n# TYPE a_seconds histogram\n# TYPE b_total counter\n# TYPE c summary\n';
    expect([...exposedNames(scrape)].sort()).toEqual(
      ['a_seconds', 'a_seconds_bucket', 'a_seconds_count', 'a_seconds_sum', 'b_total', 'c', 'c_count', 'c_sum'].sort(),
    );
  });
});
