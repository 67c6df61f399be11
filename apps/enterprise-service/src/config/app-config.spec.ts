import { loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the contract defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      httpRequestTimeoutMs: 30_000,
      httpAdapter: 'fastify',
      redisUrl: 'redis://127.0.0.1:6379',
      mongodb: {
        uri: 'mongodb://127.0.0.1:27017/enterprise',
        minPoolSize: 2,
        maxPoolSize: 10,
        serverSelectionTimeoutMs: 5_000,
        socketTimeoutMs: 45_000,
        operationTimeoutMs: 5_000,
        retryReads: true,
        retryWrites: true,
      },
      shutdown: { drainDelayMs: 5_000, timeoutMs: 30_000 },
      health: { readinessInclude: ['mongodb', 'redis', 'memory', 'tsid'] },
      tsid: { nodeId: undefined, nodeBits: 10, leaseTtlMs: 30_000, refreshIntervalMs: 10_000 },
      upstream: { url: 'http://127.0.0.1:4000', timeoutMs: 2_000, breakerResetMs: 60_000 },
      demoEndpoints: false,
      leaderLoop: { targetUrl: undefined, intervalMs: 1_000, lockTtlMs: 10_000 },
      organizations: { countRefreshMs: 15_000 },
      jobs: { provisionMs: 200, lockDurationMs: 30_000, stalledIntervalMs: 30_000, concurrency: 10 },
      metrics: { prefix: 'enterprise_service_', host: '0.0.0.0', token: undefined },
      logLevel: 'info',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT is "abc"; it must be an integer from 1 to 65535.'],
    [{ PORT: '70000' }, 'PORT is "70000"'],
    [{ PROVISION_MS: '-1' }, 'PROVISION_MS is "-1"; it must be an integer from 0 to 600000.'],
    [{ JOBS_LOCK_DURATION_MS: '500' }, 'JOBS_LOCK_DURATION_MS is "500"; it must be an integer ≥ 1000.'],
    [{ JOBS_STALLED_INTERVAL_MS: '50' }, 'JOBS_STALLED_INTERVAL_MS is "50"; it must be an integer ≥ 100.'],
    [{ JOBS_CONCURRENCY: '0' }, 'JOBS_CONCURRENCY is "0"; it must be an integer from 1 to 1000.'],
    [{ HTTP_ADAPTER: 'koa' }, 'HTTP_ADAPTER is "koa"; it must be one of fastify, express.'],
    [{ TSID_NODE_BITS: '21' }, 'TSID_NODE_BITS is "21"; it must be an integer from 0 to 20.'],
    [{ TSID_NODE_BITS: '4', TSID_NODE_ID: '16' }, 'TSID_NODE_ID is "16"; it must be an integer from 0 to 15.'],
    [{ TSID_LEASE_TTL_MS: '3000', TSID_REFRESH_INTERVAL_MS: '3000' }, 'it must be below TSID_LEASE_TTL_MS (3000)'],
    [{ HEALTH_READINESS_INCLUDE: 'mongodb,disk' }, '"disk" is not a check'],
    [
      { REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2' },
      'REDIS_SENTINELS is "10.0.0.1:26379,10.0.0.2"; "10.0.0.2" is not host:port; use a comma list such as',
    ],
    [{ REDIS_SENTINELS: 'sentinel-a:0' }, '"sentinel-a:0" is not host:port'],
    [
      {
        REDIS_SENTINELS: 's1:26379',
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
        REDIS_SENTINEL_NAME: 'my master',
      },
      'REDIS_SENTINEL_NAME is "my master"; it must be a Sentinel master name',
    ],
    [
      { REDIS_SENTINEL_NAME: 'primary' },
      'REDIS_SENTINEL_NAME is "primary"; it applies only with REDIS_SENTINELS; unset it or set both.',
    ],
    [
      { REDIS_SENTINELS: 's1:26379' },
      'TSID_LEASE_REPLICA_ACKS is "0"; with REDIS_SENTINELS it must be ≥ 1: the number of replicas of the',
    ],
    [
      { REDIS_SENTINELS: 's1:26379', TSID_LEASE_REPLICA_ACKS: '0' },
      'TSID_LEASE_REPLICA_ACKS is "0"; with REDIS_SENTINELS it must be ≥ 1',
    ],
    [
      { REDIS_SENTINELS: 's1:26379', TSID_LEASE_REPLICA_ACKS: '1' },
      'LOCK_REPLICA_ACKS is "0"; with REDIS_SENTINELS it must be ≥ 1',
    ],
    [
      { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' },
      'REDIS_TLS_CA_FILE is "/nonexistent/ca.pem"; it must be a readable PEM file of CA certificates (no such file).',
    ],
    [
      { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: __filename },
      'it must be a readable PEM file of CA certificates (not a PEM certificate).',
    ],
    [
      { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: __dirname },
      'it must be a readable PEM file of CA certificates (cannot be read: EISDIR).',
    ],
    [
      { REDIS_TLS_CA_FILE: __filename },
      'REDIS_TLS_CA_FILE is "' + __filename + '"; it applies only to a rediss:// REDIS_URL.',
    ],
    [
      {
        REDIS_SENTINELS: 's1:26379',
        REDIS_TLS_CA_FILE: __filename,
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
      },
      'REDIS_TLS_CA_FILE is "' + __filename + '"; it applies only to a rediss:// REDIS_URL.',
    ],
    [{ TSID_LEASE_REPLICA_ACKS: '-1' }, 'TSID_LEASE_REPLICA_ACKS is "-1"; it must be an integer from 0 to 100.'],
    [{ DEMO_ENDPOINTS: 'yes' }, 'DEMO_ENDPOINTS is "yes"; it must be one of true, false.'],
    [{ MONGODB_MIN_POOL_SIZE: '5', MONGODB_MAX_POOL_SIZE: '4' }, 'it must be at least MONGODB_MIN_POOL_SIZE (5)'],
    [{ MONGODB_SOCKET_TIMEOUT_MS: '0' }, 'MONGODB_SOCKET_TIMEOUT_MS is "0"; it must be an integer ≥ 1.'],
    [{ MONGODB_RETRY_WRITES: 'no' }, 'MONGODB_RETRY_WRITES is "no"; it must be one of true, false.'],
    [{ PORT: '9464', METRICS_PORT: '9464' }, 'METRICS_PORT is "9464"; it must differ from PORT.'],
    [
      { PORT: '9465', METRICS_PORT: '9464', NODE_APP_INSTANCE: '1' },
      'METRICS_PORT is "9464"; it must differ from PORT minus NODE_APP_INSTANCE (1).',
    ],
    [{ SHUTDOWN_TIMEOUT_MS: '-1' }, 'SHUTDOWN_TIMEOUT_MS is "-1"; it must be an integer from 0 to 2147483647.'],
    [{ LEADER_LOOP_TARGET_URL: 'ftp://x/y' }, 'LEADER_LOOP_TARGET_URL is "ftp://x/y"'],
    [{ LEADER_LOCK_TTL_MS: '100' }, 'LEADER_LOCK_TTL_MS is "100"; it must be an integer from 200 to 2147483647.'],
    [{ METRICS_TOKEN: 'a b' }, 'METRICS_TOKEN is "<redacted>"; it must be a non-empty string of printable ASCII'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses a REDIS_URL with a query or a path other than a database number, masking its secrets', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://db:6379/0?password=hunter2' })).toThrow(
      'REDIS_URL is "redis://db:6379/0?password=***"; its path must be a database number (redis://host:6379/2) and it takes no query or fragment',
    );
    for (const path of ['/2/', '/x', '/2/3']) {
      expect(() => loadConfig({ REDIS_URL: `redis://db:6379${path}` })).toThrow('its path must be a database number');
    }
    for (const path of ['', '/', '/15'])
      expect(loadConfig({ REDIS_URL: `redis://db:6379${path}` }).redisUrl).toBeTruthy();
    // A password holds "?" and "#" percent-encoded.
    expect(loadConfig({ REDIS_URL: 'redis://u:a%3Fb%23c@db:6379/1' }).redisUrl).toBe('redis://u:a%3Fb%23c@db:6379/1');
  });

  it('never echoes credentials of a rejected URL', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:s3cret@host:6379' })).toThrow(
      'REDIS_URL is "http://***@host:6379"; it must be a URL starting with redis:// or rediss://.',
    );
  });

  it('reads Sentinels as host and port, IPv6 in brackets', () => {
    expect(
      loadConfig({
        REDIS_SENTINELS: 'sentinel_1:26379, [::1]:26380',
        TSID_LEASE_REPLICA_ACKS: '2',
        LOCK_REPLICA_ACKS: '2',
      }),
    ).toMatchObject({
      redisSentinels: [
        { host: 'sentinel_1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      redisSentinelName: 'mymaster',
      tsid: { replicaAcks: 2 },
      lock: { replicaAcks: 2 },
    });
    expect(loadConfig({}).redisSentinels).toBeUndefined();
  });

  it('reads a Redis Cluster’s seed nodes; refuses them with Sentinels, a database or TLS', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:7000,[::1]:7001' }).redisClusterNodes).toEqual([
      { host: 'redis-0', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(loadConfig({}).redisClusterNodes).toBeUndefined();
    expect(() =>
      loadConfig({
        REDIS_CLUSTER_NODES: 'redis-0:7000',
        REDIS_SENTINELS: 's:26379',
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
      }),
    ).toThrow('REDIS_CLUSTER_NODES is "redis-0:7000"; it cannot be set with REDIS_SENTINELS; set one of them');
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:7000', REDIS_URL: 'redis://:pw@h:1/2' })).toThrow(
      'REDIS_URL is "redis://***@h:1/2"; with REDIS_CLUSTER_NODES it takes no database (a Redis Cluster has only database 0)',
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:7000', REDIS_URL: 'rediss://h:1' })).toThrow(
      'with REDIS_CLUSTER_NODES it must be redis:// (TLS to a Redis Cluster is not supported)',
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-0' })).toThrow(
      'REDIS_CLUSTER_NODES is "redis-0"; "redis-0" is not host:port',
    );
  });

  it('derives the refresh interval from the lease TTL', () => {
    expect(loadConfig({ TSID_LEASE_TTL_MS: '3000' }).tsid.refreshIntervalMs).toBe(1_000);
  });

  it('gives each PM2 cluster worker its own metrics port: METRICS_PORT + NODE_APP_INSTANCE', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics.port).toBe(9464);
    expect(loadConfig({ METRICS_PORT: '9464', NODE_APP_INSTANCE: '0' }).metrics.port).toBe(9464);
    expect(loadConfig({ METRICS_PORT: '9464', NODE_APP_INSTANCE: '3' }).metrics.port).toBe(9467);
    expect(loadConfig({ NODE_APP_INSTANCE: '3' }).metrics.port).toBeUndefined();
  });
});
