import { type RedisServer, type ServiceProcess, startRedis, startService, waitFor } from '../support';

// Two instances of the reference service share one Redis: the lock makes /demo/exclusive run on one at a time.
describe('work that must run on one instance at a time', () => {
  let redis: RedisServer;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, DEMO_ENDPOINTS: 'true', TSID_NODE_ID: '1' };
    [a, b] = await Promise.all([startService({ env }), startService({ env: { ...env, TSID_NODE_ID: '2' } })]);
    // Liveness answers before Redis is connected; the lock needs the connection.
    await Promise.all([a.waitForLog(/"Redis connected"/), b.waitForLog(/"Redis connected"/)]);
  });

  it('turns the second instance away with 409 while the first holds the lock, then lets it run', async () => {
    const first = fetch(`${a.url}/demo/exclusive?ms=1500`);
    await waitFor(
      'instance a to hold the lock',
      async () => (await redis.command(['EXISTS', 'lock:{demo:exclusive}'])) === '1',
    );

    const refused = await fetch(`${b.url}/demo/exclusive?ms=0`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ statusCode: 409, error: 'held by another instance' });

    expect((await first).status).toBe(200);
    const after = await fetch(`${b.url}/demo/exclusive?ms=0`);
    expect(after.status).toBe(200);
    expect(await redis.command(['EXISTS', 'lock:{demo:exclusive}'])).toBe('0');
  });

  it('answers 503, not 409, while Redis is unreachable', async () => {
    await redis.kill();
    try {
      const response = await fetch(`${a.url}/demo/exclusive?ms=0`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ statusCode: 503, error: 'lock unavailable' });
    } finally {
      await redis.restart();
    }
  });
});
