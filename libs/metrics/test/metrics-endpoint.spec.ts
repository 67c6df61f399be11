import type { INestApplication } from '@nestjs/common';
import { freePort } from '../../../test/support';
import { metricSamples as samples } from '../../../test/support/metrics-text';
import { startTestApp, type AdapterName } from './metrics-test-app';

describe.each<AdapterName>(['express', 'fastify'])('metrics endpoint on %s', (adapter) => {
  describe('with a bearer token', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await startTestApp(adapter, { token: 's3cret-token' }));
    });
    afterAll(() => app.close());

    it('answers 401 with a Bearer challenge without the token or with a wrong one', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret-token' }]) {
        const response = await fetch(`${url}/metrics`, { headers });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(await response.text()).not.toContain('http_requests_total');
      }
    });

    it('serves the metrics with the right token', async () => {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await response.text()).toContain('# TYPE test_http_requests_total counter');
    });
  });

  describe('on a separate port', () => {
    let app: INestApplication;
    let url: string;
    let metricsUrl: string;
    beforeAll(async () => {
      const port = await freePort();
      ({ app, url } = await startTestApp(adapter, { port, host: '127.0.0.1' }));
      metricsUrl = `http://127.0.0.1:${port}`;
    });

    it('serves only the metrics path there, and not on the app port', async () => {
      expect((await fetch(`${url}/metrics`, { headers: { 'x-allow': '1' } })).status).toBe(404);
      expect((await fetch(`${metricsUrl}/api/organizations/1`)).status).toBe(404);
      expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
      const response = await fetch(`${metricsUrl}/metrics?debug=1`);
      expect(response.status).toBe(200);
      const counted = samples(await response.text(), 'test_http_requests_total');
      // The app-port request to /metrics is an ordinary unmatched request there.
      expect(counted.get('test_http_requests_total{method="GET",route="unmatched",status_code="404"}')).toBe(1);
    });

    it('closes the metrics port when the app shuts down', async () => {
      const keepAlive = await fetch(`${metricsUrl}/metrics`);
      await keepAlive.text();
      await app.close();
      await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
    });
  });
});
