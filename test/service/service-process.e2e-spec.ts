import { startService, UNREACHABLE_MONGODB_URI } from '../support';
import { spawnSync } from 'node:child_process';
import { SERVICE_MAIN } from '../support/service-process';

describe.each(['fastify', 'express'])('the built service on %s', (adapter) => {
  it('serves liveness while MongoDB and Redis are unreachable, and readiness says which is missing', async () => {
    const password = 'pa55word-not-for-bodies';
    const service = await startService({
      env: {
        HTTP_ADAPTER: adapter,
        MONGODB_URI: UNREACHABLE_MONGODB_URI.replace('mongodb://', `mongodb://admin:${password}@`),
        REDIS_URL: `redis://:${password}@127.0.0.1:9`,
      },
    });
    const liveness = await fetch(`${service.url}/health/liveness`);
    expect(liveness.status).toBe(200);

    const readiness = await fetch(`${service.url}/health/readiness`);
    const body = await readiness.text();
    expect(readiness.status).toBe(503);
    expect(JSON.parse(body).checks.mongodb.status).toBe('down');
    expect(body).not.toContain(password);
    expect(body).not.toContain('mongodb://');
    expect(body).not.toContain('redis://');
    expect(service.output().stdout).not.toContain(password);
  });

  it('carries the request id on the response and on the log line of that request', async () => {
    const service = await startService({ env: { HTTP_ADAPTER: adapter } });
    const response = await fetch(`${service.url}/no-such-path`, { headers: { 'x-request-id': `e2e-${adapter}-7` } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe(`e2e-${adapter}-7`);
    const line = JSON.parse(await service.waitForLog(new RegExp(`"reqId":"e2e-${adapter}-7"`)));
    expect(line).toMatchObject({ req: { method: 'GET', url: '/no-such-path' }, res: { statusCode: 404 } });
  });
});

describe('start-up with invalid configuration', () => {
  it.each([
    ['PORT', 'abc', /PORT is "abc"; it must be an integer from 1 to 65535/],
    ['HTTP_ADAPTER', 'koa', /HTTP_ADAPTER is "koa"; it must be one of fastify, express/],
    ['TSID_NODE_BITS', '99', /TSID_NODE_BITS is "99"/],
  ])('exits 78 with one line naming %s', (variable, value, message) => {
    const result = spawnSync(process.execPath, [SERVICE_MAIN], {
      env: { PATH: process.env.PATH, [variable]: value },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
