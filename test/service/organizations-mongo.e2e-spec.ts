import {
  mongoAvailability,
  type MongoServer,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
} from '../support';
import { metricSamples, promtoolProblems } from '../support/metrics-text';
import { waitFor } from '../support/wait-for';
import { call, createOrganization, readOrganization } from './organization-traffic';

const PREFIX = 'enterprise_service_';
const TSID = /^[0-9A-HJKMNP-TV-Z]{13}$/;

const mongo = mongoAvailability();
// Skipped only where neither Go nor MONGODB_URI is available (never on CI); the e2e global setup prints why once.
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

describeWithMongo.each(['fastify', 'express'])('the service on %s with live MongoDB and Redis', (adapter) => {
  let db: MongoServer;
  let service: ServiceProcess;

  beforeAll(async () => {
    const [server, redis] = await Promise.all([startMongo(), startRedis()]);
    db = server;
    // Default readiness checks (mongodb, redis, memory, tsid) and a node ID leased in Redis, with a short lease so
    // the new holder's wait-out of an earlier holder's range is short too.
    service = await startService({
      env: {
        HTTP_ADAPTER: adapter,
        MONGODB_URI: db.uri,
        REDIS_URL: redis.url,
        TSID_LEASE_TTL_MS: '1000',
        ORGANIZATIONS_COUNT_REFRESH_MS: '200',
      },
      waitFor: '/health/readiness',
    });
  });

  it('is ready with its default checks, every one of them ok', async () => {
    const readiness = await call(`${service.url}/health/readiness`, 'GET');
    expect(readiness).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        checks: {
          mongodb: { status: 'ok' },
          redis: { status: 'ok' },
          memory: { status: 'ok' },
          tsid: { status: 'ok' },
        },
      },
    });
  });

  it('creates organizations with TSID ids that read back over HTTP and are stored in MongoDB', async () => {
    const created = await createOrganization(service.url, 'Acme');
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(TSID), name: 'Acme' } });
    const id = String(created.body!.id);

    expect(await readOrganization(service.url, id)).toMatchObject({ status: 200, body: { id, name: 'Acme' } });
    expect(await readOrganization(service.url, id.toLowerCase())).toMatchObject({ status: 200, body: { id } });
    expect(
      await db
        .client()
        .collection('organizations')
        .findOne({ _id: id as never }),
    ).toMatchObject({ name: 'Acme' });
  });

  it('answers 404 for a well-formed id that does not exist, 400 for a malformed one or a bad body', async () => {
    const { body } = await createOrganization(service.url, 'Gone');
    const id = String(body!.id);
    const unknown = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
    expect(await readOrganization(service.url, unknown)).toMatchObject({ status: 404 });
    expect(await readOrganization(service.url, 'not-a-tsid')).toMatchObject({ status: 400 });
    for (const bad of [{}, { name: '' }, { name: 'x'.repeat(201) }, { name: 42 }]) {
      const answer = await call(`${service.url}/organizations`, 'POST', bad);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain('name');
    }
  });

  it('names one organization per Idempotency-Key, however often or side by side it is sent; control: without one, each request creates one', async () => {
    const stored = (name: string) => db.client().collection('organizations').countDocuments({ name });
    const first = await createOrganization(service.url, 'Once', undefined, `once-${adapter}`);
    expect(first).toMatchObject({ status: 201, body: { id: expect.stringMatching(TSID), name: 'Once' } });
    const again = await createOrganization(service.url, 'Once', undefined, `once-${adapter}`);
    expect(again).toMatchObject({ status: 201, body: { id: first.body!.id, name: 'Once' } });

    const together = await Promise.all(
      Array.from({ length: 10 }, () => createOrganization(service.url, 'Together', undefined, `together-${adapter}`)),
    );
    expect(together.map(({ status }) => status)).toEqual(Array(10).fill(201));
    expect(new Set(together.map(({ body }) => body!.id)).size).toBe(1);
    expect([await stored('Once'), await stored('Together')]).toEqual([1, 1]);

    // Provisioned once, and a retry after that answers the organization as it is now.
    const id = String(together[0].body!.id);
    await waitFor('the organization to be provisioned', async () => {
      return (await readOrganization(service.url, id)).body?.status === 'active';
    });
    expect(await createOrganization(service.url, 'Together', undefined, `together-${adapter}`)).toMatchObject({
      status: 201,
      body: { id, status: 'active' },
    });
    expect(await db.client().collection('provisioning_effects').countDocuments({ organizationId: id })).toBe(1);

    expect(await createOrganization(service.url, 'Other', undefined, `once-${adapter}`)).toMatchObject({
      status: 422,
      body: { error: 'idempotency key reused', message: expect.stringContaining(`"once-${adapter}"`) },
    });
    expect(await stored('Other')).toBe(0);

    await Promise.all([createOrganization(service.url, 'Twice'), createOrganization(service.url, 'Twice')]);
    expect(await stored('Twice')).toBe(2);
  });

  it('answers a keyed retry from the key on an instance that cannot issue IDs yet; control: a new request gets 503', async () => {
    const key = `retry-elsewhere-${adapter}`;
    const first = await createOrganization(service.url, 'Elsewhere', undefined, key);
    expect(first).toMatchObject({ status: 201 });
    // Same MongoDB, an empty Redis of its own: its TSIDs wait out a 31 s quarantine, so it issues none now.
    const emptyRedis = await startRedis();
    const fresh = await startService({
      env: { HTTP_ADAPTER: adapter, MONGODB_URI: db.uri, REDIS_URL: emptyRedis.url },
      waitFor: '/health/liveness',
    });
    try {
      expect(await createOrganization(fresh.url, 'Elsewhere')).toMatchObject({
        status: 503,
        body: { error: 'ids unavailable' },
      });
      expect(await createOrganization(fresh.url, 'Elsewhere', undefined, key)).toMatchObject({
        status: 201,
        body: { id: first.body!.id, name: 'Elsewhere' },
      });
    } finally {
      await fresh.kill();
      await emptyRedis.stop();
    }
  });

  it('refuses an Idempotency-Key that is empty, too long, not visible ASCII or sent twice, with 400', async () => {
    for (const key of ['', 'k'.repeat(256), 'two words', 'cl\u00e9']) {
      const answer = await createOrganization(service.url, 'Refused', undefined, key);
      expect([key, answer]).toMatchObject([
        key,
        { status: 400, body: { message: expect.stringContaining('Idempotency-Key') } },
      ]);
    }
    const repeated = new Headers({ 'content-type': 'application/json' });
    repeated.append('idempotency-key', 'a');
    repeated.append('idempotency-key', 'b');
    const response = await fetch(`${service.url}/organizations`, {
      method: 'POST',
      headers: repeated,
      body: JSON.stringify({ name: 'Refused' }),
    });
    expect(response.status).toBe(400);
    expect(await db.client().collection('organizations').countDocuments({ name: 'Refused' })).toBe(0);
    // Control: the longest key allowed is taken.
    expect((await createOrganization(service.url, 'Allowed', undefined, 'k'.repeat(255))).status).toBe(201);
  });

  it('counts real operations as successes with their durations, and the organizations gauge, promtool-clean', async () => {
    const before = await scrape(service);
    await createOrganization(service.url, 'Counted');
    const after = await scrape(service);
    const series = (operation: string, metric = 'db_operations_total') =>
      `${PREFIX}${metric}{operation="${operation}",collection="organizations",result="success"}`;
    const saves = (text: string) => metricSamples(text, `${PREFIX}db_operations_total`).get(series('save')) ?? 0;
    expect(saves(after) - saves(before)).toBe(1);
    const durations = metricSamples(after, `${PREFIX}db_operation_duration_seconds_count`);
    expect(durations.get(series('save', 'db_operation_duration_seconds_count'))).toBe(saves(after));
    expect(durations.get(series('findOne', 'db_operation_duration_seconds_count'))).toBeGreaterThan(0);

    // The gauge follows the collection in the background; a scrape only reads it.
    const stored = await db.client().collection('organizations').countDocuments();
    const text = await waitFor('the organizations gauge to count every stored organization', async () => {
      const scraped = await scrape(service);
      return metricSamples(scraped, `${PREFIX}organizations`).get(`${PREFIX}organizations`) === stored && scraped;
    });
    expect(text).toContain(`# TYPE ${PREFIX}organizations gauge`);
    expect(promtoolProblems(text)).toBe('');
  });
});

async function scrape(service: ServiceProcess): Promise<string> {
  return (await fetch(`${service.url}/metrics`)).text();
}
