import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import { ResilienceService } from '@nestjs-reliability/resilience';
import { loadConfig } from '../../apps/enterprise-service/src/config/app-config';
import { ConfigModule } from '../../apps/enterprise-service/src/config/config.module';
import { DirectoryModule } from '../../apps/enterprise-service/src/directory/directory.module';
import { waitFor } from '../support';
import { FakeUpstream } from './fake-upstream';

const TIMEOUT_MS = 500;
const RESET_MS = 1_000;

describe.each([
  ['Express', () => new ExpressAdapter()],
  ['Fastify', () => new FastifyAdapter()],
])('GET /directory/:key on %s against a real upstream', (_name, adapter) => {
  let upstream: FakeUpstream;
  let app: INestApplication;
  let base: string;

  const get = async (key: string) => {
    const started = performance.now();
    const response = await fetch(`${base}/directory/${key}`);
    const body: unknown = await response.json();
    return {
      status: response.status,
      body,
      servedFrom: response.headers.get('x-served-from'),
      ms: performance.now() - started,
    };
  };
  const breakerState = () => app.get(ResilienceService).breakerState('upstream');

  beforeEach(async () => {
    upstream = await FakeUpstream.start();
    const config = loadConfig({
      UPSTREAM_URL: upstream.url,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      UPSTREAM_BREAKER_RESET_MS: String(RESET_MS),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), MetricsModule.forRoot({ prefix: 'e2e_' }), DirectoryModule],
    }).compile();
    app = moduleRef.createNestApplication(adapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterEach(async () => {
    await app.close();
    await upstream.stop();
  });

  it('retries transient 500s and answers with the upstream body', async () => {
    upstream.answerFirst(2, { status: 500 }, { status: 200, body: { name: 'Alice' } });
    expect(await get('alice')).toMatchObject({ status: 200, body: { name: 'Alice' }, servedFrom: null });
    expect(upstream.requests).toEqual(['alice', 'alice', 'alice']);
  });

  it('passes an upstream 404 on, without retrying it or counting it as a failure', async () => {
    upstream.answer(() => ({ status: 404, body: { error: 'unknown' } }));
    for (let i = 0; i < 8; i++) expect((await get('ghost')).status).toBe(404);
    expect(upstream.requests).toHaveLength(8);
    expect(breakerState()).toBe('closed');
  });

  it('does not retry other 4xx nor let them open the circuit', async () => {
    upstream.answer(() => ({ status: 403 }));
    for (let i = 0; i < 8; i++) expect((await get('secret')).status).toBe(502);
    expect(upstream.requests).toHaveLength(8);
    expect(breakerState()).toBe('closed');
  });

  it('cuts an upstream that hangs at the per-attempt timeout and aborts the request', async () => {
    upstream.answer(() => 'hang');
    const answer = await get('slow');
    expect(answer).toMatchObject({ status: 503, body: { error: 'upstream unavailable' } });
    expect(upstream.requests.length).toBeGreaterThanOrEqual(2);
    await waitFor('the upstream to see every attempt abandoned', () => upstream.abandoned === upstream.requests.length);
  });

  it('opens on sustained failures, serves the last good value without calling the upstream, probes, and closes on recovery', async () => {
    upstream.answer((key) => ({ status: 200, body: { key, version: 1 } }));
    expect(await get('alice')).toMatchObject({ status: 200, body: { key: 'alice', version: 1 } });

    upstream.answer(() => ({ status: 500 }));
    // 3 attempts, then 2 more failures open the circuit (5 in 10 s); both calls fall back to the cached value.
    expect(await get('alice')).toMatchObject({ status: 200, body: { key: 'alice', version: 1 }, servedFrom: 'cache' });
    expect(await get('alice')).toMatchObject({ status: 200, servedFrom: 'cache' });
    expect(breakerState()).toBe('open');
    const seen = upstream.requests.length;

    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await get('alice');
      expect(answer).toMatchObject({ status: 200, body: { key: 'alice', version: 1 }, servedFrom: 'cache' });
      latencies.push(answer.ms);
    }
    expect(await get('bob')).toMatchObject({ status: 503, body: { error: 'upstream unavailable' } });
    expect(upstream.requests.length).toBe(seen);
    // The bound: from cache in under 5 ms (median, so one GC pause on a loaded runner cannot fail it).
    expect(latencies.sort((a, b) => a - b)[10]).toBeLessThan(5);

    upstream.answer((key) => ({ status: 200, body: { key, version: 2 } }));
    await waitFor('the circuit to become half-open', () => breakerState() === 'half-open', 5 * RESET_MS);
    expect(upstream.requests.length).toBe(seen);
    expect(await get('alice')).toMatchObject({ status: 200, body: { key: 'alice', version: 2 }, servedFrom: null });
    expect(breakerState()).toBe('half-open');
    expect(await get('alice')).toMatchObject({ status: 200, body: { key: 'alice', version: 2 }, servedFrom: null });
    expect(breakerState()).toBe('closed');
    expect(upstream.requests.length).toBe(seen + 2);

    const metrics = await app.get(MetricsService).registry.metrics();
    expect(metrics).toContain('e2e_circuit_breaker_state{breaker="upstream"} 0');
    expect(metrics).toMatch(/e2e_circuit_breaker_calls_total\{breaker="upstream",result="rejected"\} 2[1-9]/);
    expect(metrics).toMatch(/e2e_retry_attempts_total\{operation="DirectoryClient.lookup"\} [1-9]/);
  });
});
