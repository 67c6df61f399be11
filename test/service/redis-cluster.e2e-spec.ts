import {
  mongoAvailability,
  type MongoServer,
  type RedisCluster,
  type ServiceProcess,
  startMongo,
  startRedisCluster,
  startService,
  waitFor,
} from '../support';
import { call, createOrganization, readOrganization } from './organization-traffic';

const mongo = mongoAvailability();
// Skipped only where neither Go nor MONGODB_URI is available (never on CI); the e2e global setup prints why once.
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

/**
 * The service on a Redis Cluster of three primaries, given one of them as its seed: it finds the others, leases its
 * TSID node ID, runs its job worker and answers its health checks there. REDIS_URL points where nothing listens,
 * so nothing of this can pass on a Redis the service found another way.
 */
/** The service on `cluster`, seeded with its second node, ready. */
const startOnCluster = (cluster: RedisCluster, db: MongoServer, env: Record<string, string> = {}) =>
  startService({
    env: {
      REDIS_URL: 'redis://127.0.0.1:9',
      REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.nodes[1].port}`,
      MONGODB_URI: db.uri,
      HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
      TSID_LEASE_TTL_MS: '2000',
      TSID_MAX_CLOCK_SKEW_MS: '0',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
    },
    waitFor: '/health/readiness',
  });

describeWithMongo('the service on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let db: MongoServer;
  let service: ServiceProcess;

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startRedisCluster(3), startMongo()]);
    service = await startOnCluster(cluster, db);
  });

  it('is ready with its Redis, TSID and jobs checks ok', async () => {
    expect(await call(`${service.url}/health/readiness`, 'GET')).toMatchObject({
      status: 200,
      body: { checks: { redis: { status: 'ok' }, tsid: { status: 'ok' }, jobs: { status: 'ok' } } },
    });
  });

  /** Keys of `pattern` on every node of the cluster. */
  const keys = async (pattern: string) =>
    (await Promise.all(cluster.nodes.map((_, i) => cluster.node(i).keys(pattern)))).flat();

  it('leases its node ID under a hash-tagged key, so every key of a lease lives in one slot', async () => {
    expect(await keys('{sys:tsid}:node:*')).toHaveLength(1);
    expect(await keys('sys:tsid:*')).toEqual([]);
    expect(await call(`${service.url}/ids`, 'GET')).toMatchObject({ status: 200 });
  });

  it('provisions an organization through its BullMQ queue on the cluster, every key of the queue in one slot', async () => {
    const created = await createOrganization(service.url, 'Clustered');
    expect(created).toMatchObject({ status: 201 });
    const id = String(created.body!.id);
    await waitFor(
      'the organization to be provisioned',
      async () => (await readOrganization(service.url, id)).body?.status === 'active',
    );
    expect(await keys('{bull}:provisioning:*')).not.toEqual([]);
    expect(await keys('bull:*')).toEqual([]);
  });

  it('shuts down on SIGTERM with exit 0', async () => {
    service.signal('SIGTERM');
    expect(await service.waitForExit()).toEqual({ code: 0, signal: null });
  });
});

describeWithMongo('the service on a Redis Cluster that goes away', () => {
  it('every node killed under an active job: the jobs check goes down; SIGTERM: the job cannot be handed back, exit 70, nothing hangs', async () => {
    const [cluster, db] = await Promise.all([startRedisCluster(3), startMongo()]);
    const service = await startOnCluster(cluster, db, { PROVISION_MS: '60000', SHUTDOWN_TIMEOUT_MS: '1000' });
    await createOrganization(service.url, 'mid-job');
    await service.waitForLog(/Provisioning started/);
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    // The worker's cluster client still says ready (its connections to idle nodes were never closed): the jobs
    // check reads the connection to the node serving the queue's slot.
    await waitFor('the jobs check to lose the node serving the queue', async () => {
      const { body } = await call(`${service.url}/health/readiness`, 'GET');
      return (body?.checks as Record<string, { status: string }> | undefined)?.jobs?.status === 'down';
    });

    service.signal('SIGTERM');
    expect(await service.waitForExit()).toEqual({ code: 70, signal: null });
    expect(service.logs().some((line) => String(line.msg).startsWith('Could not hand back job org-'))).toBe(true);
  });
});
