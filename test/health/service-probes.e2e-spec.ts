import { startRedis, startService, waitFor } from '../support';

const SECRET = 's3cr3t-pw';
const UNREACHABLE = {
  MONGODB_URI: `mongodb://admin:${SECRET}@127.0.0.1:9/enterprise?serverSelectionTimeoutMS=500`,
  REDIS_URL: `redis://:${SECRET}@127.0.0.1:9`,
  TSID_NODE_ID: '1',
};

async function getJson(url: string) {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

describe.each(['fastify', 'express'])('the reference service on %s with MongoDB and Redis unreachable', (adapter) => {
  it('answers liveness 200 and readiness 503 naming what is missing, without a secret in any body', async () => {
    const service = await startService({ env: { ...UNREACHABLE, HTTP_ADAPTER: adapter } });

    expect((await getJson(`${service.url}/health/liveness`)).status).toBe(200);
    const readiness = await getJson(`${service.url}/health/readiness`);
    expect(readiness.status).toBe(503);
    expect(readiness.body).toMatchObject({
      status: 'down',
      service: 'enterprise-service',
      checks: {
        mongodb: { status: 'down', reason: expect.stringMatching(/^not connected/) },
        redis: { status: 'degraded', reason: expect.stringMatching(/^not connected/) },
        memory: { status: 'ok' },
        tsid: { status: 'ok' },
      },
    });
    const startup = await getJson(`${service.url}/health/startup`);
    for (const text of [readiness.text, startup.text]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('127.0.0.1:9');
    }
    await service.kill();
  });
});

describe('the reference service with a real Redis', () => {
  it('reports Redis ok, then degraded once Redis is killed, while MongoDB alone keeps readiness at 503', async () => {
    const redis = await startRedis();
    const service = await startService({ env: { ...UNREACHABLE, REDIS_URL: redis.url } });
    await waitFor(
      'redis ok',
      async () => (await getJson(`${service.url}/health/readiness`)).body.checks.redis.status === 'ok',
    );

    await redis.kill();
    const degraded = await waitFor('redis degraded', async () => {
      const answer = await getJson(`${service.url}/health/readiness`);
      return answer.body.checks.redis.status === 'degraded' && answer;
    });
    expect(degraded.status).toBe(503);
    expect(degraded.body.checks.mongodb.status).toBe('down');
    await service.kill();
  });
});
