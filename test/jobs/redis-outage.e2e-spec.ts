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
      // Its job cannot be enqueued while Redis is away: the organization is not kept, the answer is 503.
      const during = await createOrganization(app.url, 'during the outage');
      expect(during.status).toBe(503);

      await redis.resume();
      await waitFor('the jobs check to be ok again', async () => (await jobsCheck(app))?.jobs?.status === 'ok', 20_000);
      await app.waitForLog(/Worker of queue \\"provisioning\\" reconnected; claiming again/);
      // The producer's connection reconnects on its own schedule (503 until then, the organization not kept).
      const after = await waitFor('a write to be accepted again', async () => {
        const answer = await createOrganization(app.url, 'after the outage');
        expect([201, 503]).toContain(answer.status);
        return answer.status === 201 && answer;
      });
      const id = String(after.body!.id);
      const active = await waitFor('the organization created after the outage to be active', async () => {
        const read = await readOrganization(app.url, id);
        return read.body?.status === 'active' && read.body;
      });
      console.log(
        `${adapter}: Redis down and back: jobs check down ("${down.reason}"), then ok; a job enqueued after ` +
          `Redis returned completed (provisionedAt ${String(active.provisionedAt)}) in the same process (pid ${app.pid})`,
      );
      expect(app.isRunning).toBe(true);
    }, 90_000);
  });
});
