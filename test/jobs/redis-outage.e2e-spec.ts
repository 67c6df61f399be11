import {
  mongoAvailability,
  type MongoServer,
  type RedisServer,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
  waitFor,
} from '../support';
import { call, createOrganization, readOrganization } from '../service/organization-traffic';

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

/** Lines that would mean the shutdown did not go as designed: a fatal error, or a step that waited until bounded. */
const troubleIn = (service: ServiceProcess) =>
  service
    .logs()
    .filter((line) => /Unhandled promise rejection|Uncaught exception|did not finish within/.test(String(line.msg)))
    .map((line) => String(line.msg));

const jobsCheck = async (service: ServiceProcess) =>
  (await call(`${service.url}/health/readiness`, 'GET')).body?.checks as
    Record<string, { status: string; reason?: string }> | undefined;

/** An organization left provisioning is enqueued again by the sweeper within 20 s (10 s grace, then a sweep every 10 s). */
const SWEEP_BOUND_MS = 40_000;

describeWithMongo('job workers when Redis goes away (real service processes, Redis and MongoDB)', () => {
  let redis: RedisServer;
  let db: MongoServer;
  let service: ServiceProcess | undefined;

  beforeEach(async () => {
    [redis, db] = await Promise.all([startRedis(), startMongo()]);
  });

  afterEach(async () => {
    if (service?.isRunning) await service.kill();
    service = undefined;
    await Promise.all([redis.stop(), db.stop()]);
  });

  const start = async (env: Record<string, string> = {}) =>
    (service = await startService({
      env: {
        MONGODB_URI: db.uri,
        REDIS_URL: redis.url,
        HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
        TSID_LEASE_TTL_MS: '1000',
        ...env,
      },
      waitFor: '/health/readiness',
      timeoutMs: 30_000,
    }));

  it('SIGTERM with Redis killed: the workers and queues close without waiting for Redis, exit 0', async () => {
    const app = await start();
    const { id } = (await createOrganization(app.url, 'before the outage')).body as { id: string };
    await app.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning finished`));
    await redis.kill();
    await app.waitForLog(/Worker of queue \\"provisioning\\": .*ECONNREFUSED/);

    app.signal('SIGTERM');
    expect(await app.waitForExit()).toEqual({ code: 0, signal: null });
    expect(troubleIn(app)).toEqual([]);
  });

  it('SIGTERM after a job finished with Redis away: its outcome cannot be recorded, but nothing is cut, exit 0', async () => {
    // The processor finishes while Redis is down, so BullMQ's record of the outcome waits for Redis. The drain waits
    // for processors, not for that record: no job is handed back, and the shutdown does not wait out its timeout.
    const app = await start({ PROVISION_MS: '1500', SHUTDOWN_TIMEOUT_MS: '20000', TSID_NODE_ID: '1' });
    const { id } = (await createOrganization(app.url, 'finished during the outage')).body as { id: string };
    await app.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning started`));
    await redis.kill();
    await app.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning finished`));

    app.signal('SIGTERM');
    expect(await app.waitForExit()).toEqual({ code: 0, signal: null });
    expect(app.logs().filter((l) => /handed back|Handed back/.test(String(l.msg)))).toEqual([]);
    expect(troubleIn(app)).toEqual([]);
  });

  it('SIGTERM with Redis killed under an active job: the job cannot be handed back, exit 70, nothing hangs', async () => {
    const app = await start({ PROVISION_MS: '60000', SHUTDOWN_TIMEOUT_MS: '1000' });
    await createOrganization(app.url, 'mid-job');
    await app.waitForLog(/Provisioning started/);
    await redis.kill();

    app.signal('SIGTERM');
    expect(await app.waitForExit()).toEqual({ code: 70, signal: null });
    expect(app.logs().some((l) => String(l.msg).startsWith('Could not hand back job org-'))).toBe(true);
    expect(troubleIn(app)).toEqual([]);
  });

  it('Redis stalled past the enqueue bound: the organization is kept (201) and provisioned once, by its own job', async () => {
    // Redis receives the job only after the request stopped waiting for it: the job runs although the request's
    // enqueue "failed". Answering 503 and removing the organization here is what left effects without organizations.
    const app = await start({ TSID_NODE_ID: '1' });
    redis.signal('SIGSTOP');
    let created: Response;
    try {
      created = await fetch(`${app.url}/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'stalled-enqueue' },
        body: JSON.stringify({ name: 'stalled enqueue' }),
      });
      await app.waitForLog(/Provisioning job not enqueued now \(Redis did not answer within 2000 ms\)/);
    } finally {
      redis.signal('SIGCONT');
    }
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const active = await waitFor('the organization to be active', async () => {
      const read = await readOrganization(app.url, id);
      return read.body?.status === 'active' && read.body;
    });
    expect(active).toMatchObject({ id, provisionedAt: expect.any(String) });
    // The control that the race happened: the job that ran is the one the stalled request enqueued (it carries the
    // request's id), not one the sweeper added later.
    const started = app.logs().find((line) => line.organizationId === id && line.msg === 'Provisioning started');
    expect(started).toMatchObject({ reqId: 'stalled-enqueue', jobId: `org-${id}` });
  });

  describe.each(['fastify', 'express'])('Redis down and back on %s', (adapter) => {
    it('stops claiming, says why in readiness, and claims again without a restart', async () => {
      // A fixed node ID, so no TSID lease can run out during the outage (however long a loaded machine makes it):
      // the instance must live through it to show that its worker resumes.
      const app = await start({ HTTP_ADAPTER: adapter, TSID_NODE_ID: '1' });
      expect((await jobsCheck(app))?.jobs).toMatchObject({ status: 'ok' });

      // Redis comes back with its keys (the queue's among them), as a Redis with persistence does.
      await redis.stopKeepingData();
      const down = await waitFor('the jobs check to be down', async () => {
        const checks = await jobsCheck(app);
        return checks?.jobs?.status === 'down' && checks.jobs;
      });
      console.log(`${adapter}: with Redis down, readiness says jobs: ${JSON.stringify(down)}`);
      expect(down.reason).toMatch(/queue "provisioning" cannot reach Redis/);
      // Its job cannot be enqueued while Redis is away, but the organization is kept (201): the sweeper enqueues its
      // job once Redis is back.
      const during = await createOrganization(app.url, 'during the outage');
      expect(during).toMatchObject({ status: 201, body: { status: 'provisioning' } });
      await app.waitForLog(/Provisioning job not enqueued now/);

      await redis.resume();
      await waitFor('the jobs check to be ok again', async () => (await jobsCheck(app))?.jobs?.status === 'ok', 20_000);
      await app.waitForLog(/Worker of queue \\"provisioning\\" reconnected; claiming again/);
      // The producer's connection reconnects on its own schedule: until it has, the sweeper enqueues this one too.
      const after = await createOrganization(app.url, 'after the outage');
      expect(after.status).toBe(201);
      const id = String(after.body!.id);
      const active = await waitFor(
        'the organization created after the outage to be active',
        async () => {
          const read = await readOrganization(app.url, id);
          return read.body?.status === 'active' && read.body;
        },
        SWEEP_BOUND_MS,
      );
      await waitFor(
        'the organization created during the outage to be active',
        async () => (await readOrganization(app.url, String(during.body!.id))).body?.status === 'active',
        SWEEP_BOUND_MS,
      );
      console.log(
        `${adapter}: Redis down and back: jobs check down ("${down.reason}"), then ok; a job enqueued after ` +
          `Redis returned completed (provisionedAt ${String(active.provisionedAt)}) in the same process (pid ${app.pid})`,
      );
      expect(app.isRunning).toBe(true);
    }, 90_000);
  });
});
