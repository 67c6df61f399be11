import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { reconnectDelay } from './reconnect-delay';

/**
 * Where and how every Redis connection of the service connects: its own client (TSID leases, locks, leader
 * election) and BullMQ's queue and worker. One source, so they cannot reach different servers: the same host,
 * Sentinels or cluster, credentials, database and TLS trust. REDIS_URL is parsed here (the configuration refuses
 * query parameters, which this does not read). With REDIS_CLUSTER_NODES see `redisClusterOptions` instead.
 */
export function redisConnectionOptions(config: AppConfig): RedisOptions {
  const url = new URL(config.redisUrl);
  const common: RedisOptions = {
    ...credentials(url),
    db: Number(url.pathname.slice(1) || 0),
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => reconnectDelay(attempt, 5_000),
  };
  const tls = url.protocol === 'rediss:' ? { ...(config.redisTlsCa && { ca: config.redisTlsCa.pem }) } : undefined;
  if (!config.redisSentinels) {
    // An IPv6 literal keeps its brackets in URL.hostname.
    return { ...common, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379), tls };
  }
  return {
    ...common,
    // The primary's host and port come from the Sentinels; with rediss:// both they and the nodes they name speak TLS.
    ...(tls && { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
    sentinels: config.redisSentinels,
    name: config.redisSentinelName,
    sentinelRetryStrategy: (attempt: number) => reconnectDelay(attempt, 5_000),
    // No `failoverDetector`: its disconnect on +switch-master, arriving while the client is already reconnecting
    // after the primary died, rejects that connection attempt and ioredis then ends the client for good (seen in
    // test/tsid/failover.e2e-spec.ts). A dead primary closes the socket and the reconnection asks the Sentinels;
    // a demoted one answers writes with READONLY: reconnect, which asks them too.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  };
}

/**
 * The seed nodes and settings of a Redis Cluster client (REDIS_CLUSTER_NODES), for the service's client and BullMQ's
 * alike: REDIS_URL's user and password on every node connection; the cluster finds the rest, follows MOVED and ASK
 * redirections and a failover's new primary by itself.
 */
export function redisClusterOptions(config: AppConfig): { nodes: ClusterNode[]; options: ClusterOptions } {
  if (!config.redisClusterNodes) throw new Error('redisClusterOptions needs REDIS_CLUSTER_NODES');
  return {
    nodes: config.redisClusterNodes,
    options: {
      redisOptions: { ...credentials(new URL(config.redisUrl)), connectTimeout: 2_000 },
      clusterRetryStrategy: (attempt: number) => reconnectDelay(attempt, 5_000),
    },
  };
}

function credentials(url: URL): Pick<RedisOptions, 'username' | 'password'> {
  return {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
