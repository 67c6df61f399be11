import { Queue, Worker } from 'bullmq';
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

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

describeWithMongo('the provisioning sweeper (a real service process, Redis and MongoDB)', () => {
  let redis: RedisServer;
  let db: MongoServer;
  let service: ServiceProcess | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    [redis, db] = await Promise.all([startRedis(), startMongo()]);
  });

  afterAll(async () => {
    await queue?.close();
    if (service?.isRunning) await service.kill();
    await Promise.all([redis.stop(), db.stop()]);
  });

  it('gives a job to every organization left provisioning: adds a missing one, retries one that failed for good', async () => {
    // Two organizations left provisioning a minute ago, as a service that is no longer running left them: one
    // whose job was never added (Redis was away at the time), one whose job spent its attempts and failed for good.
    const createdAt = new Date(Date.now() - 60_000);
    const organizations = db.client().collection<{ _id: string }>('organizations');
    await organizations.insertMany(
      ['0SDFNOJOB0000', '0SDFFAILED000'].map((_id) => ({
        _id,
        name: _id,
        status: 'provisioning',
        createdAt,
        updatedAt: createdAt,
      })),
    );
    const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
    queue = new Queue('provisioning', { connection });
    const data = { organizationId: '0SDFFAILED000' };
    const failing = new Worker(
      'provisioning',
      () => {
        throw new Error('MongoDB unreachable for longer than every attempt');
      },
      { connection },
    );
    await queue.add('provision', data, { jobId: 'org-0SDFFAILED000', attempts: 1 });
    await waitFor('the job to fail for good', async () => (await queue!.getJobState('org-0SDFFAILED000')) === 'failed');
    await failing.close();
    // Why adding is not enough: a failed job keeps its id, and adding it again adds nothing.
    await queue.add('provision', data, { jobId: 'org-0SDFFAILED000' });
    expect(await queue.getJobState('org-0SDFFAILED000')).toBe('failed');

    service = await startService({
      env: { MONGODB_URI: db.uri, REDIS_URL: redis.url, TSID_NODE_ID: '1' },
      waitFor: '/health/readiness',
    });
    await waitFor(
      'both organizations to be active',
      async () => (await organizations.countDocuments({ status: 'active' })) === 2,
    );
    expect(service.logs().map((line) => line.msg)).toContain(
      'Organizations still provisioning after 10000 ms: 1 job(s) added, 1 failed job(s) retried',
    );
  });
});
