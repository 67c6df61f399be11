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
describeWithMongo('the service on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let db: MongoServer;
  let service: ServiceProcess;

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startRedisCluster(3), startMongo()]);
    service = await startService({
      env: {
        REDIS_URL: 'redis://127.0.0.1:9',
        REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.nodes[1].port}`,
        MONGODB_URI: db.uri,
        HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
        TSID_LEASE_TTL_MS: '2000',
        TSID_MAX_CLOCK_SKEW_MS: '0',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      },
      waitFor: '/health/readiness',
    });
  });

  it('is ready with its Redis, TSID and jobs checks ok', async () => {
    expect(await call(`${service.url}/health/readiness`, 'GET')).toMatchObject({
      status: 200,
      body: { checks: { redis: { status: 'ok' }, tsid: { status: 'ok' }, jobs: { status: 'ok' } } },
    });
  });

  it('leases its node ID under a hash-tagged key, so every key of a lease shares a slot', async () => {
    const client = cluster.client();
    const leases = (await Promise.all(cluster.nodes.map((_, i) => cluster.node(i).keys('{sys:tsid}:node:*')))).flat();
    expect(leases).toHaveLength(1);
    expect(await client.cluster('KEYSLOT', leases[0])).toBe(await client.cluster('KEYSLOT', '{sys:tsid}:hwm'));
    expect(await call(`${service.url}/ids`, 'GET')).toMatchObject({ status: 200 });
  });

  it('provisions an organization through its BullMQ queue on the cluster, whose keys share one slot', async () => {
    const created = await createOrganization(service.url, 'Clustered');
    expect(created).toMatchObject({ status: 201 });
    const id = String(created.body!.id);
    await waitFor(
      'the organization to be provisioned',
      async () => (await readOrganization(service.url, id)).body?.status === 'active',
    );
    const queueKeys = (
      await Promise.all(cluster.nodes.map((_, i) => cluster.node(i).keys('{bull}:provisioning:*')))
    ).flat();
    expect(queueKeys.length).toBeGreaterThan(0);
    const client = cluster.client();
    const slots = new Set(await Promise.all(queueKeys.map((key) => client.cluster('KEYSLOT', key))));
    expect(slots.size).toBe(1);
  });

  it('shuts down on SIGTERM with exit 0', async () => {
    service.signal('SIGTERM');
    expect(await service.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
