import { startService, type ServiceProcess } from '../support';
import { FakeUpstream } from './fake-upstream';

/** The built reference service as a real process, its circuit to the directory API driven by a real upstream. */
describe('reference service: GET /directory/:key through the circuit breaker', () => {
  let upstream: FakeUpstream;
  let service: ServiceProcess;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    service = await startService({
      env: { UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '500', UPSTREAM_BREAKER_RESET_MS: '1500' },
    });
  });
  afterAll(async () => {
    await service.kill();
    await upstream.stop();
  });

  const get = async (key: string) => {
    const response = await fetch(`${service.url}/directory/${key}`);
    return {
      status: response.status,
      body: await response.json(),
      servedFrom: response.headers.get('x-served-from'),
    };
  };

  it('answers 404 for an unknown key without retrying', async () => {
    upstream.answer(() => ({ status: 404 }));
    expect((await get('nobody')).status).toBe(404);
    expect(upstream.requests).toEqual(['nobody']);
  });

  it('opens after sustained failures, serves the cache, logs each transition once, and closes after recovery', async () => {
    upstream.answer((key) => ({ status: 200, body: { key } }));
    expect(await get('carol')).toMatchObject({ status: 200, body: { key: 'carol' }, servedFrom: null });

    upstream.answer(() => ({ status: 503 }));
    await get('carol');
    await get('carol');
    await service.waitForLog(/Circuit breaker \\"upstream\\" is now open: 5 failures within 10000 ms/);
    const seen = upstream.requests.length;
    expect(await get('carol')).toMatchObject({ status: 200, body: { key: 'carol' }, servedFrom: 'cache' });
    expect(await get('dave')).toMatchObject({ status: 503, body: { error: 'upstream unavailable' } });
    expect(upstream.requests.length).toBe(seen);

    upstream.answer((key) => ({ status: 200, body: { key, fresh: true } }));
    await service.waitForLog(/Circuit breaker \\"upstream\\" is now half-open/);
    expect(await get('carol')).toMatchObject({ body: { fresh: true }, servedFrom: null });
    expect(await get('carol')).toMatchObject({ body: { fresh: true }, servedFrom: null });
    await service.waitForLog(/Circuit breaker \\"upstream\\" is now closed: 2 probe calls succeeded/);
    expect(service.output().stdout.match(/Circuit breaker \\"upstream\\" is now open/g)).toHaveLength(1);
  });
});
