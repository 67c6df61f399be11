import { freePort, startService } from '../support';
import { metricSamples as samples, promtoolProblems } from '../support/metrics-text';

const PREFIX = 'enterprise_service_';

describe.each(['fastify', 'express'])('metrics of the built service on %s', (adapter) => {
  it('records requests by route template with their real status, in one registry with the other libraries', async () => {
    const service = await startService({ env: { HTTP_ADAPTER: adapter, DEMO_ENDPOINTS: 'true', TSID_NODE_ID: '1' } });
    const statuses = [];
    for (const [method, path, body] of [
      ['GET', '/demo/ping'],
      ['GET', '/demo/ping'],
      ['GET', '/ids?count=0'],
      ['GET', '/ids/not-a-tsid'],
      ['GET', `/no/such/path/${Math.random()}`],
      ['POST', '/organizations', { name: 'Acme' }],
    ] as const) {
      const response = await fetch(service.url + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    // MongoDB is unreachable, so creating an organization is a 503.
    expect(statuses).toEqual([200, 200, 400, 400, 404, 503]);

    const text = await (await fetch(`${service.url}/metrics`)).text();
    const requests = [...samples(text, `${PREFIX}http_requests_total`)].filter(([key]) => !key.includes('/health/'));
    expect(Object.fromEntries(requests)).toEqual({
      [`${PREFIX}http_requests_total{method="GET",route="/demo/ping",status_code="200"}`]: 2,
      [`${PREFIX}http_requests_total{method="GET",route="/ids",status_code="400"}`]: 1,
      [`${PREFIX}http_requests_total{method="GET",route="/ids/:id",status_code="400"}`]: 1,
      [`${PREFIX}http_requests_total{method="GET",route="unmatched",status_code="404"}`]: 1,
      [`${PREFIX}http_requests_total{method="POST",route="/organizations",status_code="503"}`]: 1,
    });
    expect(samples(text, `${PREFIX}errors_total`).get(`${PREFIX}errors_total{type="server_error"}`)).toBe(1);
    // The count graceful shutdown acts on: every request on the server, this scrape included.
    expect(samples(text, `${PREFIX}http_requests_in_flight`).get(`${PREFIX}http_requests_in_flight`)).toBe(1);
    for (const name of ['shutdown_in_progress', 'tsid_node_id', 'event_loop_lag_seconds', 'db_operations_total']) {
      expect(text).toContain(`# TYPE ${PREFIX}${name} `);
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(promtoolProblems(text)).toBe('');
  });

  it('serves metrics only on METRICS_PORT with METRICS_TOKEN, and closes that port on shutdown', async () => {
    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const service = await startService({
      env: { HTTP_ADAPTER: adapter, TSID_NODE_ID: '1', METRICS_PORT: String(metricsPort), METRICS_TOKEN: 'tok-e2e' },
    });
    expect((await fetch(`${service.url}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const response = await fetch(metricsUrl, { headers: { authorization: 'Bearer tok-e2e' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(`${PREFIX}http_requests_total{method="GET",route="unmatched",status_code="404"} 1`);
    expect(promtoolProblems(text)).toBe('');

    service.signal('SIGTERM');
    expect(await service.waitForExit()).toMatchObject({ code: 0 });
    await expect(fetch(metricsUrl, { headers: { authorization: 'Bearer tok-e2e' } })).rejects.toThrow();
  });

  it('refuses to start with a METRICS_PORT equal to PORT (exit 78)', async () => {
    const port = await freePort();
    const service = await startService({
      env: { HTTP_ADAPTER: adapter, PORT: String(port), METRICS_PORT: String(port) },
      waitFor: null,
    });
    expect(await service.waitForExit()).toMatchObject({ code: 78 });
    expect(service.output().stderr).toContain('METRICS_PORT');
  });
});
