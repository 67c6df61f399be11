import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import {
  HealthIndicatorCheck,
  HealthModule,
  HealthRegistry,
  StartupGate,
  type HealthModuleOptions,
  type StartupHold,
} from '@nestjs-reliability/health';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import { ShutdownModule, ShutdownService } from '@nestjs-reliability/shutdown';
import { createConnection } from 'mongoose';
import { freePort, startRedis, waitFor, type RedisServer } from '../support';
import { ADAPTERS, startApp, type AdapterName } from './health-app';

/** Custom checks a test adds through the public registry, as an application would. */
function withChecks(...checks: Parameters<HealthRegistry['register']>[0][]) {
  @Injectable()
  class CustomChecks implements OnModuleInit {
    constructor(private readonly registry: HealthRegistry) {}
    onModuleInit() {
      checks.forEach((check) => this.registry.register(check));
    }
  }
  return CustomChecks;
}

const indicators = new HealthIndicatorService();
const upCheck = (name: string) => ({ name, check: () => indicators.check(name).up() });
const downCheck = (name: string, critical: boolean) => ({
  name,
  critical,
  check: () => indicators.check(name).down({ message: `${name} is unavailable` }),
});

describe.each(ADAPTERS)('health probes on %s', (adapter: AdapterName) => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  /** A client of the test's Redis that has finished connecting, as an application's would be by the time it serves. */
  const readyClient = async () => {
    const client = redis.client();
    await client.ping();
    return client;
  };

  const health = (options: HealthModuleOptions = {}) =>
    HealthModule.forRoot({ service: 'probe-test', version: '1.2.3', refreshIntervalMs: 100, ...options });

  it('answers liveness 200 without running any dependency check', async () => {
    let calls = 0;
    // Up: a down check is retried every ~100 ms until the first round that is not down (start-up's pace).
    const counted = { name: 'counted', check: () => (calls++, indicators.check('counted').up()) };
    const app = await startApp(adapter, {
      imports: [health({ refreshIntervalMs: 60_000 })],
      providers: [withChecks(counted)],
    });
    const callsAfterStart = calls;
    for (let i = 0; i < 20; i++) {
      const { status, body } = await app.get('/health/liveness');
      expect(status).toBe(200);
      expect(body).toEqual({
        status: 'ok',
        timestamp: expect.any(String),
        service: 'probe-test',
        version: '1.2.3',
        uptime: expect.any(Number),
      });
    }
    expect(calls).toBe(callsAfterStart);
    await app.close();
  });

  it('answers readiness 200 with the contract body when every check is up', async () => {
    const app = await startApp(adapter, {
      imports: [health({ redis: { client: await readyClient() } })],
      providers: [withChecks(upCheck('custom'))],
    });
    const { status, body, headers } = await app.get('/health/readiness');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(body)).toEqual(['status', 'timestamp', 'service', 'version', 'uptime', 'memory', 'checks']);
    expect(body).toMatchObject({ status: 'ok', service: 'probe-test', version: '1.2.3' });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(Object.keys(body.memory)).toEqual(['heapUsed', 'heapTotal', 'rss', 'external']);
    expect(body.memory.heapUsed).toBeGreaterThan(0);
    expect(body.checks).toEqual({
      memory: { status: 'ok', responseTime: expect.any(Number) },
      redis: { status: 'ok', responseTime: expect.any(Number) },
      custom: { status: 'ok', responseTime: expect.any(Number) },
    });
    await app.close();
  });

  it('reports Redis as degraded without failing readiness while Redis is down, and ok again once it is back', async () => {
    const app = await startApp(adapter, {
      imports: [MetricsModule.forRoot({}), health({ redis: { client: await readyClient() } })],
    });
    const metrics = app.app.get(MetricsService);
    await waitFor('redis ok', async () => (await app.get('/health/readiness')).body.checks.redis?.status === 'ok');
    expect(await metrics.registry.metrics()).toContain('health_check_status{check="redis"} 1');

    await redis.kill();
    const down = await waitFor('redis degraded', async () => {
      const answer = await app.get('/health/readiness');
      return answer.body.checks.redis.status === 'degraded' && answer;
    });
    expect(down.status).toBe(200);
    expect(down.body.status).toBe('degraded');
    expect(down.body.checks.redis.reason).toMatch(/^(not connected \(client status: \w+\)|PING failed: \w+)$/);
    expect(await metrics.registry.metrics()).toContain('health_check_status{check="redis"} 0');

    await redis.restart();
    await waitFor('redis ok again', async () => (await app.get('/health/readiness')).body.checks.redis.status === 'ok');
    await app.close();
  });

  it('answers readiness 503 naming the critical check that is down', async () => {
    const app = await startApp(adapter, {
      imports: [health()],
      providers: [withChecks(downCheck('mongodb', true), downCheck('cache', false), upCheck('queue'))],
    });
    const { status, body } = await app.get('/health/readiness');
    expect(status).toBe(503);
    expect(body.status).toBe('down');
    expect(body.checks.mongodb).toEqual({
      status: 'down',
      responseTime: expect.any(Number),
      reason: 'mongodb is unavailable',
    });
    expect(body.checks.cache).toMatchObject({ status: 'degraded', reason: 'cache is unavailable' });
    expect(body.checks.queue.status).toBe('ok');
    await app.close();
  });

  it('reports a check that hangs as down after its own timeout, with about that long as its response time', async () => {
    const hanging = {
      name: 'hanging',
      timeoutMs: 300,
      check: () => new Promise<HealthIndicatorResult>(() => undefined),
    };
    const app = await startApp(adapter, {
      imports: [health({ checkTimeoutMs: 5000 })],
      providers: [withChecks(hanging, upCheck('quick'))],
    });
    const { status, body } = await app.get('/health/readiness');
    expect(status).toBe(503);
    expect(body.checks.hanging).toMatchObject({ status: 'down', reason: 'timed out after 300 ms' });
    expect(body.checks.hanging.responseTime).toBeGreaterThanOrEqual(295);
    expect(body.checks.hanging.responseTime).toBeLessThan(1000);
    expect(body.checks.quick.status).toBe('ok');
    await app.close();
  });

  it('answers startup 503 until every hold is released, then 200', async () => {
    let hold: StartupHold | undefined;
    @Injectable()
    class WarmUp implements OnModuleInit {
      constructor(private readonly gate: StartupGate) {}
      onModuleInit() {
        hold = this.gate.hold('warm-up');
      }
    }
    const app = await startApp(adapter, { imports: [health()], providers: [WarmUp] });
    const before = await app.get('/health/startup');
    expect(before.status).toBe(503);
    expect(before.body.status).toBe('starting');
    expect(before.body.pending).toContain('warm-up');

    hold!.release();
    const after = await waitFor('startup 200', async () => {
      const answer = await app.get('/health/startup');
      return answer.status === 200 && answer;
    });
    expect(after.body).toEqual({
      status: 'ok',
      timestamp: expect.any(String),
      service: 'probe-test',
      version: '1.2.3',
      uptime: expect.any(Number),
    });
    await app.close();
  });

  it('answers readiness 503 from the first moment of shutdown while the listener still serves', async () => {
    const exits: number[] = [];
    const app = await startApp(
      adapter,
      {
        imports: [
          health(),
          ShutdownModule.forRoot({
            signals: [],
            drainDelayMs: 1000,
            timeoutMs: 1000,
            exit: (code) => exits.push(code),
          }),
        ],
      },
      (nest) => nest.get(ShutdownService).attach(nest),
    );
    expect((await app.get('/health/readiness')).status).toBe(200);

    app.app.get(ShutdownService).shutdown('test');
    const { status, body } = await app.get('/health/readiness');
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'down', shuttingDown: true });
    expect(body.checks.memory.status).toBe('ok');
    expect((await app.get('/health/liveness')).status).toBe(200);
    await waitFor('the shutdown sequence to exit', () => exits.length > 0);
    expect(exits).toEqual([0]);
  });

  it('keeps connection strings, passwords, hosts and stack traces out of the body', async () => {
    const secretUri = `mongodb://admin:s3cr3t-pw@127.0.0.1:${await freePort()}/app?authSource=admin`;
    const connection = createConnection(secretUri, { serverSelectionTimeoutMS: 500 });
    const driverError = await connection.asPromise().then(
      () => undefined,
      (error: Error) => error,
    );
    // The driver names the host in its error; the body must not.
    expect(driverError?.message).toContain('127.0.0.1');
    const leaky = {
      name: 'leaky',
      check: () => {
        throw new Error('auth failed for mongodb://admin:s3cr3t-pw@db.internal:27017/app');
      },
    };
    const chatty = {
      name: 'chatty',
      check: () =>
        indicators.check('chatty').down({ message: 'refused by admin:s3cr3t-pw@cache.internal:6379', uri: secretUri }),
    };
    const app = await startApp(adapter, {
      imports: [health({ mongodb: { connection } })],
      providers: [withChecks(leaky, chatty)],
    });
    const { status, body, text } = await app.get('/health/readiness');
    expect(status).toBe(503);
    expect(body.checks.mongodb.reason).toBe('not connected (connection state: disconnected)');
    expect(body.checks.leaky.reason).toBe('auth failed for [redacted url]');
    expect(body.checks.chatty.reason).toBe('refused by [redacted]');
    for (const secret of [
      's3cr3t-pw',
      'admin:',
      'db.internal',
      'cache.internal',
      'mongodb://',
      secretUri.split('@')[1],
      '    at ',
    ]) {
      expect(text).not.toContain(secret);
    }
    await app.close();
    await connection.close();
  });

  it('leaves reasons and pending holds out when error details are off', async () => {
    @Injectable()
    class Holder implements OnModuleInit {
      constructor(private readonly gate: StartupGate) {}
      onModuleInit() {
        this.gate.hold('never-released');
      }
    }
    const app = await startApp(adapter, {
      imports: [health({ exposeErrorDetails: false })],
      providers: [withChecks(downCheck('mongodb', true)), Holder],
    });
    const readiness = await app.get('/health/readiness');
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks.mongodb).toEqual({ status: 'down', responseTime: expect.any(Number) });
    const startup = await app.get('/health/startup');
    expect(startup.status).toBe(503);
    expect(startup.body.pending).toBeUndefined();
    await app.close();
  });

  it('runs only the readiness group and fails start-up when it names a check nobody registered', async () => {
    const included = await startApp(adapter, {
      imports: [health({ include: ['custom'] })],
      providers: [withChecks(upCheck('custom'), downCheck('ignored', true))],
    });
    const { status, body } = await included.get('/health/readiness');
    expect(status).toBe(200);
    expect(Object.keys(body.checks)).toEqual(['custom']);
    await included.close();

    await expect(
      startApp(adapter, { imports: [health({ include: ['memory', 'tsid'], redis: { client: redis.client() } })] }),
    ).rejects.toThrow(
      'HealthModule: option "include" is ["memory","tsid"]; no health indicator is registered as "tsid" (registered: memory, redis)',
    );
  });

  it('finds methods marked with @HealthIndicatorCheck and calls them on their instance', async () => {
    @Injectable()
    class WorkQueue {
      private readonly claimable = false;
      constructor(private readonly indicators: HealthIndicatorService) {}

      @HealthIndicatorCheck({ name: 'work-queue', critical: false })
      canClaimWork(): HealthIndicatorResult {
        const session = this.indicators.check('work-queue');
        return this.claimable ? session.up() : session.down({ message: 'no work can be claimed' });
      }
    }
    const app = await startApp(adapter, { imports: [health()], providers: [WorkQueue] });
    const { status, body } = await app.get('/health/readiness');
    expect(status).toBe(200);
    expect(body.checks['work-queue']).toMatchObject({ status: 'degraded', reason: 'no work can be claimed' });
    await app.close();
  });

  it('serves the probes under a configured path', async () => {
    const app = await startApp(adapter, { imports: [health({ path: '/ops/health/' })] });
    expect((await app.get('/ops/health/readiness')).status).toBe(200);
    expect((await app.get('/ops/health/liveness')).status).toBe(200);
    expect((await fetch(`${app.url}/health/readiness`)).status).toBe(404);
    await app.close();
  });
});

describe('liveness with an event-loop lag threshold', () => {
  it('fails while lag stays above the threshold for the sustained period, and recovers when it ends', async () => {
    const app = await startApp('fastify', {
      imports: [HealthModule.forRoot({ liveness: { maxEventLoopLagMs: 50, sustainedMs: 300 } })],
    });
    expect((await app.get('/health/liveness')).status).toBe(200);
    // Each turn of the loop now blocks for 150 ms: timers fire late, but requests are still answered in between.
    const blocker = setInterval(() => {
      const end = Date.now() + 150;
      while (Date.now() < end);
    }, 1);
    try {
      const lagging = await waitFor('liveness 503', async () => {
        const answer = await app.get('/health/liveness');
        return answer.status === 503 && answer;
      });
      expect(lagging.body).toMatchObject({ status: 'down', reason: 'event-loop lag above 50 ms for 300 ms or more' });
    } finally {
      clearInterval(blocker);
    }
    await waitFor('liveness 200 again', async () => (await app.get('/health/liveness')).status === 200);
    await app.close();
  });
});
