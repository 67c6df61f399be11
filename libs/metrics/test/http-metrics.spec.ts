import type { INestApplication } from '@nestjs/common';
import { waitFor } from '../../../test/support';
import { metricSamples as samples, promtoolProblems } from '../../../test/support/metrics-text';
import { startTestApp, type AdapterName } from './metrics-test-app';

const ALLOW = { 'x-allow': '1' };

describe.each<AdapterName>(['express', 'fastify'])('request metrics on %s', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startTestApp(adapter));
  });
  afterAll(() => app.close());

  const get = (path: string, headers: Record<string, string> = ALLOW) => fetch(url + path, { headers });
  const scrape = async (): Promise<string> => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it('counts a mix of answers under route templates with their real status codes', async () => {
    const statuses = await Promise.all([
      get('/api/organizations/1'),
      get('/api/organizations/2'),
      fetch(`${url}/api/organizations`, {
        method: 'POST',
        headers: { ...ALLOW, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Acme' }),
      }),
      fetch(`${url}/api/organizations`, {
        method: 'POST',
        headers: { ...ALLOW, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '' }),
      }),
      get('/api/organizations/boom'),
      get('/api/organizations/3', {}),
      get('/nowhere/at/all'),
      get('/api'),
    ]).then((responses) => responses.map((response) => response.status));
    expect(statuses).toEqual([200, 200, 201, 400, 500, 403, 404, 404]);

    const text = await scrape();
    const requests = samples(text, 'test_http_requests_total');
    expect(Object.fromEntries(requests)).toEqual({
      'test_http_requests_total{method="GET",route="/api/organizations/:id",status_code="200"}': 2,
      'test_http_requests_total{method="POST",route="/api/organizations",status_code="201"}': 1,
      'test_http_requests_total{method="POST",route="/api/organizations",status_code="400"}': 1,
      'test_http_requests_total{method="GET",route="/api/organizations/boom",status_code="500"}': 1,
      'test_http_requests_total{method="GET",route="/api/organizations/:id",status_code="403"}': 1,
      'test_http_requests_total{method="GET",route="unmatched",status_code="404"}': 2,
    });
    const counts = samples(text, 'test_http_request_duration_seconds_count');
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(8);
    expect(
      counts.get(
        'test_http_request_duration_seconds_count{method="GET",route="/api/organizations/:id",status_code="200"}',
      ),
    ).toBe(2);
    expect(
      samples(text, 'test_http_request_duration_seconds_bucket').get(
        'test_http_request_duration_seconds_bucket{method="GET",route="/api/organizations/:id",status_code="200",le="+Inf"}',
      ),
    ).toBe(2);
    expect(Object.fromEntries(samples(text, 'test_errors_total'))).toEqual({
      'test_errors_total{type="server_error"}': 1,
      'test_errors_total{type="client_closed"}': 0,
    });
    expect(Object.fromEntries(samples(text, 'test_http_requests_in_flight'))).toEqual({
      test_http_requests_in_flight: 0,
    });
  });

  it('serves metrics past a global guard that denies everything else, without counting the scrapes', async () => {
    await scrape();
    const text = await scrape();
    expect(text).not.toContain('route="/metrics"');
    expect(text).toContain('# TYPE test_http_request_duration_seconds histogram');
  });

  it('passes promtool check metrics', async () => {
    expect(promtoolProblems(await scrape())).toBe('');
  });

  it('adds no series for 1000 requests to random unknown paths', async () => {
    const before = samples(await scrape(), 'test_http_');
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          get(`/${Math.random().toString(36).slice(2)}/${Math.random()}?q=${Math.random()}`),
        ),
      );
    }
    const after = samples(await scrape(), 'test_http_');
    expect([...after.keys()]).toEqual([...before.keys()]);
    const unmatched = 'test_http_requests_total{method="GET",route="unmatched",status_code="404"}';
    expect(after.get(unmatched)! - before.get(unmatched)!).toBe(1000);
  });

  it('collapses unusual request methods into one value', async () => {
    for (const method of ['PROPFIND', 'MKCOL', 'PURGE', 'LOCK']) {
      expect((await fetch(`${url}/api/organizations/1`, { method, headers: ALLOW })).status).toBe(404);
    }
    const other = [...samples(await scrape(), 'test_http_requests_total')].filter(
      ([key]) => !/method="(GET|POST)"/.test(key),
    );
    expect(other).toEqual([['test_http_requests_total{method="OTHER",route="unmatched",status_code="404"}', 4]]);
  });

  it('counts a request the client abandons as client_closed and no longer in flight', async () => {
    const metric = async (key: string) => samples(await scrape(), key).get(key);
    const abort = new AbortController();
    const abandoned = fetch(`${url}/api/organizations/slow/300`, { headers: ALLOW, signal: abort.signal });
    await waitFor('the slow request to be in flight', async () => (await metric('test_http_requests_in_flight')) === 1);
    abort.abort();
    await expect(abandoned).rejects.toThrow();
    await waitFor('in flight back to 0', async () => (await metric('test_http_requests_in_flight')) === 0);
    expect(await metric('test_errors_total{type="client_closed"}')).toBe(1);
    const text = await scrape();
    expect(text).not.toContain('route="/api/organizations/slow/:ms"');
  });

  it("includes Node's default metrics with GC durations, and event_loop_lag_seconds", async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toContain('# TYPE test_event_loop_lag_seconds summary');
    expect(text).toMatch(/^test_event_loop_lag_seconds\{quantile="0.99"\} /m);
  });
});
