import {
  mongoAvailability,
  type MongoServer,
  type RedisServer,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
} from '../support';
import { metricSamples } from '../support/metrics-text';
import { waitFor } from '../support/wait-for';
import { call, createOrganization, readOrganization } from '../service/organization-traffic';

const PREFIX = 'enterprise_service_';
const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

describeWithMongo.each(['fastify', 'express'])(
  'organization provisioning on %s (real Redis and MongoDB)',
  (adapter) => {
    let db: MongoServer;
    let redis: RedisServer;
    let service: ServiceProcess;

    beforeAll(async () => {
      [db, redis] = await Promise.all([startMongo(), startRedis()]);
      service = await startService({
        env: {
          HTTP_ADAPTER: adapter,
          MONGODB_URI: db.uri,
          REDIS_URL: redis.url,
          HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
          TSID_LEASE_TTL_MS: '1000',
        },
        waitFor: '/health/readiness',
      });
    });

    it('answers 201 provisioning, then the job makes the organization active with provisionedAt', async () => {
      const created = await createOrganization(service.url, 'Acme');
      expect(created).toMatchObject({ status: 201, body: { name: 'Acme', status: 'provisioning' } });
      const id = String(created.body!.id);
      const active = await waitFor('the organization to be active', async () => {
        const read = await readOrganization(service.url, id);
        return read.body?.status === 'active' && read;
      });
      expect(active.body).toMatchObject({ id, status: 'active', provisionedAt: expect.any(String) });
      expect(Date.parse(String(active.body!.provisionedAt))).toBeGreaterThanOrEqual(
        Date.parse(String(created.body!.createdAt)),
      );
      expect(await db.client().collection('provisioning_effects').countDocuments({ organizationId: id })).toBe(1);
      // Under BullMQ's default prefix, where the jobs of an earlier version of the service are.
      expect(await redis.command(['EXISTS', 'bull:provisioning:meta'])).toBe('1');
    });

    it('logs every line of the job with its id and the id of the request that enqueued it', async () => {
      const response = await fetch(`${service.url}/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `corr-${adapter}-1` },
        body: JSON.stringify({ name: 'Correlated' }),
      });
      const { id } = (await response.json()) as { id: string };
      await service.waitForLog(new RegExp(`"organizationId":"${id}".*Provisioning finished`));
      const jobLines = service.logs().filter((line) => line.organizationId === id);
      expect(jobLines.map((line) => line.msg)).toEqual(['Provisioning started', 'Provisioning finished']);
      for (const line of jobLines) expect(line).toMatchObject({ reqId: `corr-${adapter}-1`, jobId: `org-${id}` });
    });

    it('reports the jobs readiness check and the jobs metrics', async () => {
      const readiness = await call(`${service.url}/health/readiness`, 'GET');
      expect(readiness).toMatchObject({ status: 200, body: { checks: { jobs: { status: 'ok' } } } });
      await waitFor('the queue counts to be read', async () => {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        return metricSamples(text, PREFIX).has(`${PREFIX}jobs_waiting{queue="provisioning"}`);
      });
      const samples = metricSamples(await (await fetch(`${service.url}/metrics`)).text(), PREFIX);
      expect(samples.get(`${PREFIX}jobs_total{queue="provisioning",result="completed"}`)).toBeGreaterThanOrEqual(2);
      expect(samples.get(`${PREFIX}job_duration_seconds_count{queue="provisioning"}`)).toBeGreaterThanOrEqual(2);
      for (const gauge of ['waiting', 'active', 'delayed', 'failed']) {
        expect(samples.get(`${PREFIX}jobs_${gauge}{queue="provisioning"}`)).toEqual(expect.any(Number));
      }
    });
  },
);
