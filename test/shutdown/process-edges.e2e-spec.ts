import type { Redis } from 'ioredis';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  GatedProxy,
  type RedisServer,
  type ServiceProcess,
  startRedis,
  startService,
  type StartServiceOptions,
  waitFor,
} from '../support';
import { startTsScript } from '../support/ts-script';

const FIXTURE = join(__dirname, 'fixtures', 'shutdown-app.ts');

/** A POST whose body arrives in two parts: the second only when `finish()` is called (a slow upload). */
function slowUpload(port: number, body: string) {
  const req = request({
    port,
    host: '127.0.0.1',
    path: '/organizations',
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { answer, finish: () => req.end(body.slice(half)) };
}

describe.each(['fastify', 'express'])('edges of the reference service’s life on %s', (adapter) => {
  let redis: RedisServer;
  let admin: Redis;
  const gates: GatedProxy[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
  });

  beforeEach(() => redis.flushAll());

  afterEach(async () => {
    await Promise.all(gates.splice(0).map((gate) => gate.close()));
  });

  function start(env: Record<string, string>, options: Omit<StartServiceOptions, 'env'> = {}) {
    return startService({
      env: { HTTP_ADAPTER: adapter, DEMO_ENDPOINTS: 'true', REDIS_URL: redis.url, LOG_LEVEL: 'info', ...env },
      ...options,
    });
  }

  const nodeKeys = () => admin.keys('sys:tsid:node:*');

  async function expectExit(service: ServiceProcess, signalledAt: number, expected: object): Promise<void> {
    const exit = await service.waitForExit(10_000);
    console.log(`${adapter}: exited ${JSON.stringify(exit)} ${Math.round(performance.now() - signalledAt)} ms after`);
    expect(exit).toEqual(expected);
  }

  it('SIGTERM before the listener opens: dies by the signal at once, holding nothing', async () => {
    const service = await start({}, { waitFor: null });
    await service.waitForLog(/Starting Nest application/);
    const signalledAt = performance.now();
    service.signal('SIGTERM');
    // Nothing is held yet (the lease is taken after the listener opens), so the default action is right:
    // supervisors see "killed by SIGTERM" (143).
    await expectExit(service, signalledAt, { code: null, signal: 'SIGTERM' });
    expect(await nodeKeys()).toEqual([]);
  });

  it('SIGTERM while the TSID lease is being acquired (start-up hold open): releases the lease it gets, exits 0', async () => {
    const gate = await GatedProxy.start(redis.port);
    gates.push(gate);
    const service = await start({ REDIS_URL: gate.url, SHUTDOWN_DRAIN_DELAY_MS: '2000' });
    await waitFor('the service to reach Redis through the gate', () => gate.waiting > 0);
    const startup = await fetch(`${service.url}/health/startup`);
    expect({ status: startup.status, body: await startup.json() }).toMatchObject({
      status: 503,
      body: { status: 'starting', pending: expect.arrayContaining(['tsid']) },
    });
    const signalledAt = performance.now();
    service.signal('SIGTERM');
    await service.waitForLog(/Shutdown started \(SIGTERM\)/);
    // The acquisition completes during the drain; shutdown must give back what it got.
    gate.open();
    await service.waitForLog(/Leased TSID node ID \d+/);
    await expectExit(service, signalledAt, { code: 0, signal: null });
    expect(service.output().stdout).toMatch(/Released TSID node ID \d+/);
    expect(await nodeKeys()).toEqual([]);
  });

  it('SIGTERM while the leased node ID is quarantined: releases it and exits 0', async () => {
    // A Redis with no lease data quarantines the first lease for TTL + max skew (6 s here).
    const service = await start({ TSID_LEASE_TTL_MS: '5000' });
    await service.waitForLog(/Leased TSID node ID \d+ .*issuing from/);
    expect((await fetch(`${service.url}/ids`)).status).toBe(503);
    expect(await nodeKeys()).toHaveLength(1);
    const signalledAt = performance.now();
    service.signal('SIGTERM');
    await expectExit(service, signalledAt, { code: 0, signal: null });
    expect(service.output().stdout).toMatch(/Released TSID node ID \d+/);
    expect(await nodeKeys()).toEqual([]);
  });

  it('a second SIGTERM during the drain exits 143 at once', async () => {
    const service = await start({ SHUTDOWN_DRAIN_DELAY_MS: '30000', TSID_NODE_ID: '1' });
    service.signal('SIGTERM');
    await service.waitForLog(/Shutdown started \(SIGTERM\)/);
    const signalledAt = performance.now();
    service.signal('SIGTERM');
    await expectExit(service, signalledAt, { code: 143, signal: null });
    expect(service.output().stdout).toMatch(/SIGTERM received again during shutdown: exiting at once with code 143/);
  });

  it('answers a slow upload that completes within the shutdown timeout, then exits 0', async () => {
    const service = await start({ SHUTDOWN_DRAIN_DELAY_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000', TSID_NODE_ID: '1' });
    const upload = slowUpload(service.port, JSON.stringify({ name: 'Slow Upload Ltd' }));
    service.signal('SIGTERM');
    await service.waitForLog(/Drain delay over .* 1 request\(s\) in flight/);
    upload.finish();
    // Answered (503: MongoDB is unreachable here), not cut.
    expect(await upload.answer).toBe(503);
    await expectExit(service, performance.now(), { code: 0, signal: null });
  });

  it('cuts a slow upload still open at the shutdown timeout and exits 70', async () => {
    const service = await start({ SHUTDOWN_DRAIN_DELAY_MS: '300', SHUTDOWN_TIMEOUT_MS: '500', TSID_NODE_ID: '1' });
    const upload = slowUpload(service.port, JSON.stringify({ name: 'Never Finished Ltd' }));
    service.signal('SIGTERM');
    await expect(upload.answer).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expectExit(service, performance.now(), { code: 70, signal: null });
    expect(service.output().stdout).toMatch(/Shutdown timeout of 500 ms reached .*cut 1 request\(s\) in flight/);
  });
});

describe.each(['fastify', 'express'])('shutdown hooks that misbehave (real process on %s)', (adapter) => {
  async function startApp(fault: string): Promise<ServiceProcess> {
    const app = await startTsScript(FIXTURE, { NO_COLOR: '1', HTTP_ADAPTER: adapter, HOOK_FAULT: fault });
    await app.waitForStatus('/ping', 200, 20_000);
    return app;
  }

  const output = (app: ServiceProcess) => app.output().stdout + app.output().stderr;

  it('logs a hook that throws with its name and error, runs the next hooks and exits 0', async () => {
    const app = await startApp('throws');
    app.signal('SIGTERM');
    expect(await app.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(output(app)).toMatch(/hook "close-broken-client" failed after \d+ ms: client already closed; moving on/);
    expect(app.output().stdout).toMatch(/hook "flush-buffers" done/);
  });

  it('bounds a hook that never settles by its timeout, logs it by name, runs the next hooks and exits 0', async () => {
    const app = await startApp('hangs');
    app.signal('SIGTERM');
    expect(await app.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(app.output().stdout).toMatch(/hook "wait-for-ack" did not finish within 500 ms; moving on/);
    expect(app.output().stdout).toMatch(/hook "flush-buffers" done/);
  });

  it('exits 143 at once on a SIGTERM that arrives while a hook runs', async () => {
    const app = await startApp('slow');
    app.signal('SIGTERM');
    // No request in flight: the hooks start right after this line.
    await app.waitForLog(/Drain delay over/);
    app.signal('SIGTERM');
    expect(await app.waitForExit(2_000)).toEqual({ code: 143, signal: null });
    expect(output(app)).toMatch(/SIGTERM received again during shutdown: exiting at once with code 143/);
    expect(app.output().stdout).not.toMatch(/hook "upload-final-batch" done/);
  });
});
