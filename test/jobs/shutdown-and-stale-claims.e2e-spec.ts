import { mongoAvailability, type MongoServer, type RedisServer, startMongo, startRedis, waitFor } from '../support';
import { createOrganization } from '../service/organization-traffic';
import { Fleet } from '../tsid/fleet';
import { provisioningFigures } from './job-fleet';

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

const startedJobs = (fleet: Fleet, label: string) =>
  fleet.history
    .find((i) => i.label === label)!
    .service.logs()
    .filter((l) => l.msg === 'Provisioning started');
const finishedJobs = (fleet: Fleet, label: string) =>
  fleet.history
    .find((i) => i.label === label)!
    .service.logs()
    .filter((l) => l.msg === 'Provisioning finished');

describeWithMongo('job workers on shutdown and after a crash (real service processes, Redis and MongoDB)', () => {
  let redis: RedisServer;
  let db: MongoServer;
  let fleet: Fleet | undefined;

  beforeEach(async () => {
    [redis, db] = await Promise.all([startRedis(), startMongo()]);
  });

  afterEach(async () => {
    await fleet?.killAll();
    await Promise.all([redis.stop(), db.stop()]);
  });

  const newFleet = (env: Record<string, string>) =>
    (fleet = new Fleet({
      MONGODB_URI: db.uri,
      REDIS_URL: redis.url,
      TSID_LEASE_TTL_MS: '1000',
      HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
      ...env,
    }));

  it('on SIGTERM claims no new job, lets every active job complete, then exits 0', async () => {
    const jobs = newFleet({ PROVISION_MS: '1500', JOBS_CONCURRENCY: '5', SHUTDOWN_TIMEOUT_MS: '20000' });
    const a = await jobs.start('A');
    await a.waitForStatus('/health/readiness');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(String((await createOrganization(a.url, `steady-${i}`)).body!.id));
    await waitFor('five jobs to be active', () => startedJobs(jobs, 'A#1').length >= 5);

    a.signal('SIGTERM');
    const activeAtSigterm = startedJobs(jobs, 'A#1').length - finishedJobs(jobs, 'A#1').length;
    const startedBefore = new Set(startedJobs(jobs, 'A#1').map((l) => String(l.organizationId)));
    expect(await a.waitForExit(30_000)).toEqual({ code: 0, signal: null });

    const finished = new Set(finishedJobs(jobs, 'A#1').map((l) => String(l.organizationId)));
    console.log(`graceful: ${activeAtSigterm} job(s) active at SIGTERM, ${finished.size} finished before exit 0`);
    expect(activeAtSigterm).toBeGreaterThan(0);
    // Every job started before the signal finished; none was started after it (the rest wait for another instance).
    expect([...startedBefore].filter((id) => !finished.has(id))).toEqual([]);
    expect(startedJobs(jobs, 'A#1').length).toBe(startedBefore.size);
    expect(startedBefore.size).toBeLessThan(ids.length);
  }, 90_000);

  it('hands a job still running at the shutdown timeout back to another instance, which completes it (exit 70)', async () => {
    // Default lock (30 s): without the hand-back the job would stay locked far longer than this test waits.
    const jobs = newFleet({ SHUTDOWN_TIMEOUT_MS: '1000' });
    const a = await jobs.start('A', { PROVISION_MS: '20000' });
    await a.waitForStatus('/health/readiness');
    const id = String((await createOrganization(a.url, 'long')).body!.id);
    await a.waitForLog(/Provisioning started/);
    const b = await jobs.start('B', { PROVISION_MS: '100' });

    a.signal('SIGTERM');
    expect(await a.waitForExit(30_000)).toEqual({ code: 70, signal: null });
    await b.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning finished`), 15_000);
    expect(a.logs().some((l) => String(l.msg).startsWith(`Handed back job org-${id}`))).toBe(true);
    expect(b.logs().some((l) => String(l.msg).startsWith('Recovered job'))).toBe(false);
    const organization = await db
      .client()
      .collection('organizations')
      .findOne({ _id: id as never });
    expect(organization).toMatchObject({ status: 'active' });
  }, 90_000);

  it('an instance killed mid-job and restarted with the same name does not resume its old claim or double-run', async () => {
    const jobs = newFleet({ PROVISION_MS: '3000', JOBS_LOCK_DURATION_MS: '2000', JOBS_STALLED_INTERVAL_MS: '1000' });
    const a = await jobs.start('A');
    await a.waitForStatus('/health/readiness');
    const id = String((await createOrganization(a.url, 'crashed')).body!.id);
    await a.waitForLog(/Provisioning started/);
    a.signal('SIGKILL');
    await a.exited;

    const restarted = await jobs.start('A');
    await restarted.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning finished`), 20_000);
    const lines = restarted.logs();
    const recovered = lines.findIndex(
      (l) =>
        l.msg ===
        `Recovered job org-${id} of queue "provisioning": its worker died or stalled past the lock; it runs again`,
    );
    const rerun = lines.findIndex((l) => l.msg === 'Provisioning started' && l.organizationId === id);
    // The restarted instance got the job back only through recovery once the dead claim's lock expired, as
    // execution 2; it never continued the claim its previous incarnation held.
    expect(recovered).toBeGreaterThanOrEqual(0);
    expect(rerun).toBeGreaterThan(recovered);
    expect(lines[rerun]).toMatchObject({ execution: 2 });
    const figures = await provisioningFigures(db.client(), jobs.history);
    console.log(
      `stale claim: executions ${figures.executions}, effects ${figures.effects}, recoveries ${figures.recoveries}`,
    );
    expect(figures).toMatchObject({ executions: 2, effects: 1, recoveries: 1, stillProvisioning: 0 });
  }, 90_000);
});
