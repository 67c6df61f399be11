import {
  mongoAvailability,
  type MongoServer,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
} from '../support';
import { metricSamples } from '../support/metrics-text';
import { waitFor } from '../support/wait-for';
import { call, createOrganization, missingOrganizations, OrganizationTraffic } from './organization-traffic';

// The health module's defaults: a check round every 2 s, each check bounded by 2 s.
const PROBE_INTERVAL_MS = 2_000;
const CHECK_TIMEOUT_MS = 2_000;
const OPERATION_TIMEOUT_MS = 1_500;
// A client that has no answer by then counts the request as hung.
const CLIENT_TIMEOUT_MS = OPERATION_TIMEOUT_MS + 3_000;

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

async function readiness(service: ServiceProcess) {
  return call(`${service.url}/health/readiness`, 'GET');
}

/** Waits for readiness to answer 503 with the mongodb check down; returns the body and how long it took. */
async function readinessDownOnMongo(service: ServiceProcess, since: number) {
  const answer = await waitFor(
    'readiness 503 naming mongodb',
    async () => {
      const answer = await readiness(service);
      const checks = answer.body?.checks as Record<string, { status: string }> | undefined;
      return answer.status === 503 && checks?.mongodb.status === 'down' && answer;
    },
    PROBE_INTERVAL_MS + CHECK_TIMEOUT_MS + 1_000,
  );
  return { body: answer.body!, ms: Date.now() - since };
}

describeWithMongo('MongoDB failures under a running service (default readiness checks)', () => {
  let db: MongoServer;
  let service: ServiceProcess;
  let clients: OrganizationTraffic | undefined;

  // A failed test would leave its clients firing at a stopped service, and jest would never exit.
  afterEach(() => clients?.stop());

  beforeEach(async () => {
    const [server, redis] = await Promise.all([startMongo(), startRedis()]);
    db = server;
    service = await startService({
      env: {
        MONGODB_URI: db.uri,
        REDIS_URL: redis.url,
        TSID_LEASE_TTL_MS: '1000',
        MONGODB_OPERATION_TIMEOUT_MS: String(OPERATION_TIMEOUT_MS),
        LOG_LEVEL: 'warn',
      },
      waitFor: '/health/readiness',
    });
  });

  it('SIGKILLed under traffic: 503s, never a 500 or a hang; back without a restart; no acknowledged write lost', async () => {
    const traffic = (clients = new OrganizationTraffic(service.url, { workers: 4, timeoutMs: CLIENT_TIMEOUT_MS }));
    await waitFor('20 writes acknowledged before the crash', () => traffic.count(201) >= 20, 10_000);

    const killedAt = Date.now();
    await db.kill();
    const down = await readinessDownOnMongo(service, killedAt);
    expect((await call(`${service.url}/health/liveness`, 'GET')).status).toBe(200);
    await waitFor('20 writes answered 503 during the outage', () => traffic.count(503, killedAt) >= 20, 10_000);
    expect(service.isRunning).toBe(true);

    const restartedAt = Date.now();
    await db.restart();
    await service.waitForStatus('/health/readiness', 200, 30_000);
    const readyAgainMs = Date.now() - restartedAt;
    await waitFor('20 writes acknowledged after the restart', () => traffic.count(201, restartedAt) >= 20, 15_000);
    await traffic.stop();

    const firstFailure = traffic.writes.find((write) => write.at >= killedAt && write.status === 503)!;
    const recovered = traffic.writes.find((write) => write.at > firstFailure.at && write.status === 201)!;
    const missing = await missingOrganizations(service.url, traffic.acknowledged);
    console.log(
      `MongoDB SIGKILL: readiness 503 after ${down.ms} ms, 200 again ${readyAgainMs} ms after the restart; ` +
        `outage seen by clients ${recovered.at + recovered.ms - firstFailure.at} ms (first 503 to first 201); ` +
        `writes attempted ${traffic.writes.length}, acknowledged ${traffic.acknowledged.length}, ` +
        `read back ${traffic.acknowledged.length - missing.length}; ` +
        `answers ${JSON.stringify(traffic.summary())}`,
    );
    expect(down.body).toMatchObject({ status: 'down', checks: { mongodb: { status: 'down' } } });
    // Writes: 201 or 503 only; reads of acknowledged organizations: 200 or 503, never 404.
    expect(Object.keys(traffic.summary().writes).sort()).toEqual(['201', '503']);
    expect(Object.keys(traffic.summary().reads).every((status) => ['200', '503'].includes(status))).toBe(true);
    expect(missing).toEqual([]);
    expect(service.isRunning).toBe(true);

    // Control: the read-back sees lost data when there is some.
    await db.wipe();
    await service.waitForStatus('/health/readiness', 200, 30_000);
    expect(await missingOrganizations(service.url, traffic.acknowledged.slice(0, 5))).toHaveLength(5);
  }, 120_000);

  it('stalled (SIGSTOP): checks and writes time out at their bounds; SIGCONT recovers; failures count as errors', async () => {
    expect((await createOrganization(service.url, 'before')).status).toBe(201);

    const pausedAt = Date.now();
    db.pause();
    const stalledWrite = createOrganization(service.url, 'stalled', CLIENT_TIMEOUT_MS);
    const down = await readinessDownOnMongo(service, pausedAt);
    const write = await stalledWrite;
    console.log(
      `MongoDB SIGSTOP: write answered ${write.status} after ${write.ms} ms (bound ${OPERATION_TIMEOUT_MS} ms), ` +
        `readiness 503 after ${down.ms} ms: ${JSON.stringify(down.body.checks)}`,
    );
    expect(write).toMatchObject({ status: 503, body: { error: 'database timeout' } });
    expect(write.ms).toBeGreaterThanOrEqual(OPERATION_TIMEOUT_MS);

    db.resume();
    await service.waitForStatus('/health/readiness', 200, 30_000);
    expect((await createOrganization(service.url, 'after')).status).toBe(201);

    // An operation that fails (its connection cut by a crash while it waits) is counted with result="error".
    const errorsBefore = await saveErrors(service);
    db.pause();
    expect((await createOrganization(service.url, 'cut', CLIENT_TIMEOUT_MS)).status).toBe(503);
    await db.kill();
    await waitFor('the cut save to be counted as an error', async () => (await saveErrors(service)) > errorsBefore);
    await db.restart();
    await service.waitForStatus('/health/readiness', 200, 30_000);
  }, 120_000);

  it('a create answered 503 in a stall lands later; retried with its Idempotency-Key it is one organization, without one (the control) two', async () => {
    const stored = (name: string) => db.client().collection('organizations').countDocuments({ name });
    db.pause();
    const [keyed, unkeyed] = await Promise.all([
      createOrganization(service.url, 'keyed', CLIENT_TIMEOUT_MS, 'stalled-create'),
      createOrganization(service.url, 'unkeyed', CLIENT_TIMEOUT_MS),
    ]);
    expect([keyed.status, unkeyed.status]).toEqual([503, 503]);
    db.resume();
    await service.waitForStatus('/health/readiness', 200, 30_000);

    const retried = await createOrganization(service.url, 'keyed', undefined, 'stalled-create');
    expect(retried.status).toBe(201);
    expect((await createOrganization(service.url, 'unkeyed')).status).toBe(201);
    await waitFor(
      'the stalled write without a key to land beside its retry',
      async () => (await stored('unkeyed')) === 2,
    );
    expect(await stored('keyed')).toBe(1);
    expect(await db.client().collection('organizations').findOne({ name: 'keyed' })).toMatchObject({
      _id: retried.body!.id,
    });
  }, 60_000);
});

async function saveErrors(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const series = 'enterprise_service_db_operations_total{operation="save",collection="organizations",result="error"}';
  return metricSamples(text, 'enterprise_service_db_operations_total').get(series) ?? 0;
}
