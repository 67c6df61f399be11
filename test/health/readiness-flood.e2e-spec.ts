import { HealthModule } from '@nestjs-reliability/health';
import autocannon from 'autocannon';
import { startRedis, type RedisServer } from '../support';
import { ADAPTERS, startApp, type AdapterName } from './health-app';

const DURATION_S = 5;
const INTERVAL_MS = 1000;

describe.each(ADAPTERS)('a readiness probe flood on %s', (adapter: AdapterName) => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  it('costs Redis at most one PING per refresh interval, whatever the probe rate', async () => {
    const client = redis.client();
    await client.ping();
    await redis.command(['CONFIG', 'RESETSTAT']);

    const started = performance.now();
    const app = await startApp(adapter, {
      imports: [HealthModule.forRoot({ refreshIntervalMs: INTERVAL_MS, redis: { client } })],
    });
    const result = await autocannon({
      url: `${app.url}/health/readiness`,
      connections: 50,
      pipelining: 1,
      workers: 1, // the load generator on its own thread, so it does not compete with the app for the event loop
      duration: DURATION_S,
    });
    await app.close();
    const elapsedMs = performance.now() - started;

    const pings = (await redis.commandStats()).ping ?? 0;
    const bound = Math.floor(elapsedMs / INTERVAL_MS) + 1;
    const rate = Math.round(result.requests.total / DURATION_S);
    console.log(
      `[${adapter}] ${result.requests.total} readiness probes in ${DURATION_S} s (${rate}/s), ` +
        `${pings} PINGs on Redis in ${Math.round(elapsedMs)} ms (bound ${bound})`,
    );

    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    // The proof needs the flood the issue asks for: at least 2000 probes per second for 5 s.
    expect(result.requests.total).toBeGreaterThanOrEqual(2000 * DURATION_S);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(pings).toBeLessThanOrEqual(bound);
  });
});
