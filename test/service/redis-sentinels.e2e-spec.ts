import {
  makeTlsCertificates,
  type RedisServer,
  type SentinelGroup,
  type ServiceProcess,
  startSentinelGroup,
  startService,
  type TlsCertificates,
  waitFor,
} from '../support';

// BullMQ names its connections `bull:<queue name in base64>…`, right after it opens them.
const PROVISIONING_CLIENTS = `name=bull:${Buffer.from('provisioning').toString('base64')}`;
const bullMqConnectedTo = (node: RedisServer) =>
  waitFor(`BullMQ's connections on port ${node.port}`, async () =>
    (await node.command(['CLIENT', 'LIST'])).includes(PROVISIONING_CLIENTS),
  );

const SENTINEL_ENV = {
  TSID_LEASE_REPLICA_ACKS: '1',
  LOCK_REPLICA_ACKS: '1',
  TSID_LEASE_TTL_MS: '2000',
  TSID_MAX_CLOCK_SKEW_MS: '0',
  HEALTH_READINESS_INCLUDE: 'redis,tsid,jobs',
};

/**
 * Every Redis connection of the service (its client: TSID lease, locks; BullMQ's queue and worker) on the primary
 * the Sentinels name, then, once it dies, on the one they promote. A failover ends each instance with exit 75 (its
 * TSID lease came from a primary whose latest writes may be gone: libs/tsid/README.md), and the instance the
 * orchestrator starts in its place finds the promoted primary through the Sentinels.
 */
async function followsThePrimary(group: SentinelGroup, start: () => Promise<ServiceProcess>): Promise<void> {
  const service = await start();
  const primary = await group.primary();
  expect(await primary.command(['KEYS', 'sys:tsid:node:*'])).toMatch(/^sys:tsid:node:\d+$/);
  await bullMqConnectedTo(primary);

  await primary.kill();
  await group.waitForFailover(primary);
  expect(await service.waitForExit(30_000)).toEqual({ code: 75, signal: null });

  const restarted = await start();
  // The primary now, which a retried failover may have changed since: its replicas hold copies of its keys.
  const current = await group.primary();
  expect(current).not.toBe(primary);
  expect(await current.command(['KEYS', 'sys:tsid:node:*'])).toMatch(/^sys:tsid:node:\d+$/);
  await bullMqConnectedTo(current);
  await restarted.kill();
}

/** The service must stop at start-up with exit 78 and exactly one line on stderr, which it returns. */
async function refusedStart(env: Record<string, string | undefined>): Promise<string> {
  const service = await startService({ env, waitFor: null });
  const { code } = await service.exited;
  const lines = service.output().stderr.trim().split('\n');
  expect({ code, lines: lines.length }).toEqual({ code: 78, lines: 1 });
  return lines[0];
}

/**
 * With REDIS_SENTINELS, REDIS_URL's host and port name nothing, so the tests point them at a port where nothing
 * listens.
 */
describe('the service behind Redis Sentinels', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 2, sentinels: 3 });
  });

  it('leases its TSID node ID and runs its job worker on the primary they name, then on the one they promote', async () => {
    const start = () =>
      startService({
        env: { ...SENTINEL_ENV, REDIS_URL: 'redis://127.0.0.1:9', REDIS_SENTINELS: group.sentinelList },
        waitFor: '/health/readiness',
      });
    await followsThePrimary(group, start);
  }, 90_000);
});

/**
 * The same over TLS: rediss:// with Sentinels means TLS to the Sentinels and to the nodes they name, whose TLS ports
 * are all the Sentinels give out (a plain connection to them fails), every certificate checked against one CA.
 */
describe('the service behind Redis Sentinels over TLS', () => {
  let certs: TlsCertificates;
  let group: SentinelGroup;

  beforeAll(async () => {
    certs = makeTlsCertificates();
    group = await startSentinelGroup({ replicas: 2, sentinels: 3, tls: { ...certs.server, ca: certs.caFile } });
  });

  const env = (overrides: Record<string, string | undefined> = {}) => ({
    ...SENTINEL_ENV,
    REDIS_URL: 'rediss://127.0.0.1:9',
    REDIS_SENTINELS: group.sentinelList,
    REDIS_TLS_CA_FILE: certs.caFile,
    ...overrides,
  });

  const refused = (overrides: Record<string, string | undefined>) => refusedStart(env(overrides));

  it('stops start-up naming REDIS_SENTINELS when no CA given trusts their certificates', async () => {
    expect(await refused({ REDIS_TLS_CA_FILE: undefined })).toMatch(
      /^Invalid configuration: REDIS_SENTINELS is "127\.0\.0\.1:\d+,.*"; the TLS certificate of the Redis Sentinel 127\.0\.0\.1 fails verification \(SELF_SIGNED_CERT_IN_CHAIN: .*\); set REDIS_TLS_CA_FILE to the CA that signed it\.$/,
    );
  });

  it('stops start-up naming REDIS_TLS_CA_FILE when that CA did not sign them', async () => {
    expect(await refused({ REDIS_TLS_CA_FILE: certs.otherCaFile })).toMatch(
      /^Invalid configuration: REDIS_TLS_CA_FILE is ".*other-ca\.crt"; the TLS certificate of the Redis Sentinel 127\.0\.0\.1 fails verification \(.*\); is it the CA that signed it\?\.$/,
    );
  });

  it('leases its TSID node ID and runs its job worker through them, then on the primary they promote', async () => {
    await followsThePrimary(group, () => startService({ env: env(), waitFor: '/health/readiness' }));
  }, 90_000);
});

/** The Sentinels' certificates verify, but the primary they name presents one for another host. */
describe('the service behind Redis Sentinels over TLS that name a primary with a certificate for another host', () => {
  let certs: TlsCertificates;
  let group: SentinelGroup;

  beforeAll(async () => {
    certs = makeTlsCertificates();
    group = await startSentinelGroup({
      replicas: 0,
      sentinels: 1,
      tls: { ...certs.server, ca: certs.caFile },
      nodeCertificate: certs.elsewhere,
    });
  });

  it('stops start-up naming REDIS_SENTINELS and the primary, and the host its certificate is for', async () => {
    const primary = await group.primary();
    const line = await refusedStart({
      ...SENTINEL_ENV,
      REDIS_URL: 'rediss://127.0.0.1:9',
      REDIS_SENTINELS: group.sentinelList,
      REDIS_TLS_CA_FILE: certs.caFile,
    });
    expect(line).toBe(
      `Invalid configuration: REDIS_SENTINELS is "${group.sentinelList}"; the TLS certificate of the Redis primary ` +
        `127.0.0.1:${primary.tlsPort} is not for host 127.0.0.1: it names DNS:redis.elsewhere.test.`,
    );
  });
});
