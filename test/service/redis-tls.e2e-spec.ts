import {
  makeTlsCertificates,
  type RedisServer,
  type ServiceProcess,
  startRedis,
  startService,
  type TlsCertificates,
} from '../support';

/** `rediss://` against a real redis-server with TLS on, certificates made by openssl for this file. */
describe('Redis over TLS', () => {
  let certs: TlsCertificates;
  let redis: RedisServer;

  beforeAll(async () => {
    certs = makeTlsCertificates();
    redis = await startRedis([], { tls: { ...certs.server, ca: certs.caFile } });
  });

  const tsidEnv = { TSID_NODE_BITS: '4', TSID_LEASE_TTL_MS: '1000', TSID_MAX_CLOCK_SKEW_MS: '0' };

  it('leases a node ID, issues IDs and runs its job worker through a rediss:// URL with the CA in REDIS_TLS_CA_FILE', async () => {
    const service = await startService({
      env: {
        ...tsidEnv,
        REDIS_URL: redis.tlsUrl,
        REDIS_TLS_CA_FILE: certs.caFile,
        HEALTH_READINESS_INCLUDE: 'redis,tsid,jobs',
      },
    });
    await service.waitForStatus('/health/readiness', 200);
    const readiness = (await (await fetch(`${service.url}/health/readiness`)).json()) as {
      checks: Record<string, { status: string }>;
    };
    expect(readiness.checks.redis.status).toBe('ok');
    // BullMQ's connections trust the same CA.
    expect(readiness.checks.jobs.status).toBe('ok');
    await service.waitForStatus('/ids', 200);
    const response = await fetch(`${service.url}/ids?count=100`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { ids: string[] }).ids).toHaveLength(100);
    // The lease went to this Redis (read back on its plain port), so the TLS connection carried it.
    expect(await redis.command(['KEYS', 'sys:tsid:node:*'])).toMatch(/^sys:tsid:node:\d+$/);
    await service.kill();
  });

  /** The service must stop at start-up with exit 78 and exactly one line on stderr. */
  const refusedStart = async (env: Record<string, string>): Promise<{ line: string; service: ServiceProcess }> => {
    const service = await startService({ env: { ...tsidEnv, ...env }, waitFor: null });
    const { code } = await service.exited;
    const lines = service.output().stderr.trim().split('\n');
    expect({ code, lines: lines.length }).toEqual({ code: 78, lines: 1 });
    return { line: lines[0], service };
  };

  it('stops start-up naming REDIS_URL, never the password, when no CA given trusts the certificate', async () => {
    const url = redis.tlsUrl.replace('rediss://', 'rediss://:hunter2@');
    const { line, service } = await refusedStart({ REDIS_URL: url });
    expect(line).toMatch(
      /^Invalid configuration: REDIS_URL is "rediss:\/\/\*\*\*@127\.0\.0\.1:\d+"; the TLS certificate of the Redis server fails verification \(SELF_SIGNED_CERT_IN_CHAIN: .*\); set REDIS_TLS_CA_FILE to the CA that signed it\.$/,
    );
    expect(JSON.stringify(service.output())).not.toContain('hunter2');
  });

  it('stops start-up naming REDIS_TLS_CA_FILE when that CA did not sign the certificate', async () => {
    const { line } = await refusedStart({ REDIS_URL: redis.tlsUrl, REDIS_TLS_CA_FILE: certs.otherCaFile });
    expect(line).toMatch(
      /^Invalid configuration: REDIS_TLS_CA_FILE is ".*other-ca\.crt"; the TLS certificate of the Redis server fails verification \(.*\); is it the CA that signed it\?\.$/,
    );
  });

  it('stops start-up naming REDIS_URL when the certificate is for another host', async () => {
    const elsewhere = await startRedis([], { tls: { ...certs.elsewhere, ca: certs.caFile } });
    const url = elsewhere.tlsUrl.replace('rediss://', 'rediss://:hunter2@');
    const { line, service } = await refusedStart({ REDIS_URL: url, REDIS_TLS_CA_FILE: certs.caFile });
    expect(line).toMatch(
      /^Invalid configuration: REDIS_URL is "rediss:\/\/\*\*\*@127\.0\.0\.1:\d+"; the TLS certificate of the Redis server is not for host 127\.0\.0\.1: it names DNS:redis\.elsewhere\.test\.$/,
    );
    expect(JSON.stringify(service.output())).not.toContain('hunter2');
  });

  it('stops start-up saying mutual TLS is unsupported when the server requires a client certificate', async () => {
    const strict = await startRedis(['--tls-auth-clients', 'yes'], { tls: { ...certs.server, ca: certs.caFile } });
    const { line } = await refusedStart({ REDIS_URL: strict.tlsUrl, REDIS_TLS_CA_FILE: certs.caFile });
    expect(line).toMatch(
      /^Invalid configuration: REDIS_URL is "rediss:\/\/127\.0\.0\.1:\d+"; the Redis server requires a client certificate \(ERR_SSL_\w+\), and mutual TLS is not supported; set tls-auth-clients to no \(or optional\) on the server\.$/,
    );
  });

  it('stops start-up naming REDIS_TLS_CA_FILE when the file is not a certificate', async () => {
    const { line } = await refusedStart({ REDIS_URL: redis.tlsUrl, REDIS_TLS_CA_FILE: certs.server.key });
    expect(line).toMatch(/REDIS_TLS_CA_FILE is ".*server\.key"; it must be a readable PEM file of CA certificates/);
  });
});
