import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { loadConfig } from '../config/app-config';
import { redisClusterOptions, redisConnectionOptions } from './redis-connection';

describe('redisConnectionOptions', () => {
  it("takes REDIS_URL's host, port, user, password (decoded) and database", () => {
    const options = redisConnectionOptions(loadConfig({ REDIS_URL: 'redis://app:p%40ss%3Aword@[::1]:6380/3' }));
    expect(options).toMatchObject({ host: '::1', port: 6380, username: 'app', password: 'p@ss:word', db: 3 });
    expect(options.tls).toBeUndefined();
    expect(redisConnectionOptions(loadConfig({}))).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
  });

  it('verifies a rediss:// server against REDIS_TLS_CA_FILE, or Node’s CAs without it', () => {
    const caFile = join(mkdtempSync(join(tmpdir(), 'redis-ca-')), 'ca.pem');
    writeFileSync(caFile, rootCertificates[0]);
    const withCa = loadConfig({ REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: caFile });
    expect(redisConnectionOptions(withCa).tls).toEqual({ ca: withCa.redisTlsCa!.pem });
    expect(redisConnectionOptions(loadConfig({ REDIS_URL: 'rediss://h:6380' })).tls).toEqual({});
  });

  it("with Sentinels, asks them for the primary and keeps REDIS_URL's credentials and database", () => {
    const options = redisConnectionOptions(
      loadConfig({
        REDIS_URL: 'redis://:secret@ignored:1/2',
        REDIS_SENTINELS: 's1:26379,s2:26380',
        REDIS_SENTINEL_NAME: 'orders',
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
      }),
    );
    expect(options).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'orders',
      password: 'secret',
      db: 2,
    });
    expect(options).not.toHaveProperty('host');
    expect(options).not.toHaveProperty('tls');
    expect(options.reconnectOnError!(new Error("READONLY You can't write against a read only replica."))).toBe(true);
  });

  it('with Sentinels and rediss://, speaks TLS to them and to the nodes they name, trusting the same CA', () => {
    const options = redisConnectionOptions(
      loadConfig({
        REDIS_URL: 'rediss://h:1',
        REDIS_SENTINELS: 's1:26379',
        TSID_LEASE_REPLICA_ACKS: '1',
        LOCK_REPLICA_ACKS: '1',
      }),
    );
    expect(options).toMatchObject({ tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true });
  });

  it("on a Redis Cluster, starts from its seed nodes with REDIS_URL's user and password on every node", () => {
    const { nodes, options } = redisClusterOptions(
      loadConfig({ REDIS_URL: 'redis://app:p%40ss@ignored:1', REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' }),
    );
    expect(nodes).toEqual([
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 7001 },
    ]);
    expect(options.redisOptions).toMatchObject({ username: 'app', password: 'p@ss' });
  });
});
