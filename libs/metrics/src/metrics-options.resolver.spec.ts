import { isInvalidOptionError } from '@nestjs-reliability/common';
import { DEFAULT_HTTP_BUCKETS } from './metrics.constants';
import { resolveMetricsOptions } from './metrics-options.resolver';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isInvalidOptionError(error)) return error.message;
    throw error;
  }
  throw new Error('expected an InvalidOptionError, nothing was thrown');
}

describe('resolveMetricsOptions', () => {
  it('applies the defaults', () => {
    expect(resolveMetricsOptions({})).toEqual({
      prefix: '',
      httpMetrics: true,
      httpBuckets: DEFAULT_HTTP_BUCKETS,
      excludeRoutes: [],
      endpoint: true,
      path: '/metrics',
      token: undefined,
      port: undefined,
      host: undefined,
      defaultMetrics: true,
      eventLoopLagWindowMs: 10_000,
      includeGlobalRegistry: true,
    });
  });

  it('rejects unsorted buckets naming the option and the offending bound', () => {
    expect(messageOf(() => resolveMetricsOptions({ httpBuckets: [0.1, 0.05, 1] }))).toBe(
      'MetricsModule: option "httpBuckets" is [0.1,0.05,1]; bounds must be strictly increasing; bound 1 is not above the one before it.',
    );
  });

  it('rejects negative, zero, infinite and duplicate bounds, and an empty list', () => {
    for (const httpBuckets of [[-1, 1], [0, 1], [1, Infinity], [1, 1], []]) {
      expect(messageOf(() => resolveMetricsOptions({ httpBuckets }))).toMatch(/^MetricsModule: option "httpBuckets"/);
    }
  });

  it('rejects a prefix that is not a valid metric name start, a relative path, a bad port and a blank token', () => {
    expect(messageOf(() => resolveMetricsOptions({ prefix: 'my-service_' }))).toContain(
      'option "prefix" is "my-service_"',
    );
    expect(messageOf(() => resolveMetricsOptions({ path: 'metrics' }))).toContain('option "path" is "metrics"');
    expect(messageOf(() => resolveMetricsOptions({ port: 70_000 }))).toBe(
      'MetricsModule: option "port" is 70000; it must be an integer from 0 to 65535.',
    );
    const tokenMessage = messageOf(() => resolveMetricsOptions({ token: 'two words' }));
    expect(tokenMessage).toContain('option "token" is "<redacted>"');
    expect(tokenMessage).not.toContain('two words');
  });
});
