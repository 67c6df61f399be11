import { type SentinelGroup, startSentinelGroup, startService, waitFor } from '../support';

// BullMQ names its connections `bull:<queue name in base64>…`.
const PROVISIONING_CLIENTS = `name=bull:${Buffer.from('provisioning').toString('base64')}`;

interface Readiness {
  checks: Record<string, { status: string }>;
}

/**
 * With REDIS_SENTINELS every Redis connection of the service finds the primary through the Sentinels: its own client
 * (TSID lease, locks) and BullMQ's queue and worker. REDIS_URL's host and port name nothing then, so the test points
 * them at a port where nothing listens.
 */
describe('the service behind Redis Sentinels', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3 });
  });

  it('leases its TSID node ID and runs its job worker on the primary they name, and on the next after a failover', async () => {
    const service = await startService({
      env: {
        REDIS_URL: 'redis://127.0.0.1:9',
        REDIS_SENTINELS: group.sentinelList,
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
        TSID_LEASE_TTL_MS: '1000',
        HEALTH_READINESS_INCLUDE: 'redis,tsid,jobs',
      },
      waitFor: '/health/readiness',
    });
    const primary = await group.primary();
    expect(await primary.command(['KEYS', 'sys:tsid:node:*'])).toMatch(/^sys:tsid:node:\d+$/);
    expect(await primary.command(['CLIENT', 'LIST'])).toContain(PROVISIONING_CLIENTS);

    await primary.kill();
    const promoted = await group.waitForFailover(primary);
    await waitFor(
      "BullMQ's connections to reach the promoted primary",
      async () => (await promoted.command(['CLIENT', 'LIST'])).includes(PROVISIONING_CLIENTS),
      30_000,
    );
    await waitFor(
      'the jobs check to be ok again',
      async () => {
        const readiness = (await (await fetch(`${service.url}/health/readiness`)).json()) as Readiness;
        return readiness.checks.jobs?.status === 'ok';
      },
      30_000,
    );
    await service.kill();
  }, 90_000);
});
