import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { maskCredentials } from '@nestjs-reliability/common';
import { mongo } from 'mongoose';
// Bundled at build time: the version the service reports is the one it was built from.
import packageJson from '../../../../package.json';
import { ConfigError } from './config.error';
import { EnvReader } from './env-reader';

export const READINESS_CHECKS = ['mongodb', 'redis', 'memory', 'tsid', 'circuit-breakers', 'jobs'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The reference service's configuration, read once from the environment (see shared/CONTRACT.md). */
export interface AppConfig {
  port: number;
  /** A request not fully received (headers and body) within this time is answered 408 and its connection closed. */
  httpRequestTimeoutMs: number;
  httpAdapter: 'fastify' | 'express';
  mongodb: MongoDbConfig;
  redisUrl: string;
  /**
   * The CA file (and its PEM) the certificates of a `rediss://` REDIS_URL's server (or of the Sentinels and the nodes
   * they name) are verified against; Node's CAs when unset.
   */
  redisTlsCa: { file: string; pem: string } | undefined;
  /**
   * When set, the Redis primary is found through these Sentinels instead of `redisUrl`'s host and port; its user,
   * password and database still apply to the primary, and `rediss://` means TLS to the Sentinels and the nodes alike.
   */
  redisSentinels: Array<{ host: string; port: number }> | undefined;
  redisSentinelName: string;
  /**
   * When set, Redis is a Redis Cluster reached through these seed nodes instead of `redisUrl`'s host and port; its
   * user and password still apply (a cluster has no databases; `rediss://` is refused).
   */
  redisClusterNodes: Array<{ host: string; port: number }> | undefined;
  shutdown: { drainDelayMs: number; timeoutMs: number };
  health: { readinessInclude: string[] };
  tsid: {
    nodeId: number | undefined;
    nodeBits: number;
    leaseTtlMs: number;
    refreshIntervalMs: number;
    /** Redis replicas that must acknowledge a lease write before it counts. */
    replicaAcks: number;
    maxClockSkewMs: number;
    /** Test-only: shifts this process's TSID clock to simulate skew between hosts. */
    clockOffsetMs: number;
  };
  /** Redis replicas that must acknowledge a lock grant (and its fencing token) before it counts. */
  lock: { replicaAcks: number };
  upstream: { url: string; timeoutMs: number; breakerResetMs: number };
  demoEndpoints: boolean;
  /**
   * When `targetUrl` is set, the instances elect one leader (a lock with fencing tokens) that POSTs its fencing
   * token to `targetUrl` every `intervalMs`; the others stand by.
   */
  leaderLoop: { targetUrl: string | undefined; intervalMs: number; lockTtlMs: number };
  /** How often the `organizations` gauge is refreshed from MongoDB's estimated count, in the background. */
  organizations: { countRefreshMs: number };
  /**
   * The provisioning job of a new organization: how long its work takes, and the BullMQ worker settings that bound
   * how soon a job held by a dead worker runs again (`lockDurationMs + stalledIntervalMs`).
   */
  jobs: { provisionMs: number; lockDurationMs: number; stalledIntervalMs: number; concurrency: number };
  /**
   * `port`/`host`: serve /metrics on a port of its own, bound to `host`; `token`: only with
   * `Authorization: Bearer <token>`.
   */
  metrics: { prefix: string; port: number | undefined; host: string; token: string | undefined };
  logLevel: (typeof LOG_LEVELS)[number];
  service: { name: string; version: string };
}

/**
 * The MongoDB connection. Pool, timeouts and retries are the driver's options of the same name; an option written in
 * `uri` itself wins over these (see `mongooseOptions`).
 */
export interface MongoDbConfig {
  uri: string;
  minPoolSize: number;
  maxPoolSize: number;
  serverSelectionTimeoutMs: number;
  socketTimeoutMs: number;
  /** Longest a request waits for one MongoDB operation before answering 503. */
  operationTimeoutMs: number;
  retryReads: boolean;
  retryWrites: boolean;
}

export const APP_CONFIG = Symbol('enterprise-service:config');

/** The longest delay a Node timer takes, and so the limit the libraries put on every duration handed to them. */
const MAX_TIMER_MS = 2_147_483_647;

/** Parses and validates the environment; throws `ConfigError` on the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeBits = read.integer('TSID_NODE_BITS', 10, 0, 20);
  const leaseTtlMs = read.integer('TSID_LEASE_TTL_MS', 30_000, 1_000, MAX_TIMER_MS);
  const refreshIntervalMs = read.integer('TSID_REFRESH_INTERVAL_MS', Math.floor(leaseTtlMs / 3), 100);
  if (refreshIntervalMs >= leaseTtlMs) {
    throw new ConfigError(
      'TSID_REFRESH_INTERVAL_MS',
      String(refreshIntervalMs),
      `it must be below TSID_LEASE_TTL_MS (${leaseTtlMs})`,
    );
  }
  const port = read.integer('PORT', 3000, 1, 65_535);
  const redisUrl = read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  // connections/redis-connection.ts reads the host, port, user, password and database; anything else would be lost.
  const { pathname, search, hash } = new URL(redisUrl);
  if (search || hash || !/^(\/\d*)?$/.test(pathname)) {
    throw new ConfigError(
      'REDIS_URL',
      maskCredentials(redisUrl),
      'its path must be a database number (redis://host:6379/2) and it takes no query or fragment; the user and password go before the host',
    );
  }
  // PM2 cluster workers share PORT but each has its own metrics registry: worker i (PM2's NODE_APP_INSTANCE) serves
  // /metrics on METRICS_PORT + i, so Prometheus scrapes every worker (deploy/pm2/prometheus.yml).
  const instance = read.optionalInteger('NODE_APP_INSTANCE', 0, 1_023) ?? 0;
  const metricsBase = read.optionalInteger('METRICS_PORT', 1, 65_535 - instance);
  const metricsPort = metricsBase === undefined ? undefined : metricsBase + instance;
  if (metricsPort === port) {
    throw new ConfigError(
      'METRICS_PORT',
      String(metricsBase),
      instance ? `it must differ from PORT minus NODE_APP_INSTANCE (${instance})` : 'it must differ from PORT',
    );
  }
  const leaderLockTtlMs = read.integer('LEADER_LOCK_TTL_MS', 10_000, 200, MAX_TIMER_MS);
  const leaderIntervalMs = read.integer('LEADER_LOOP_INTERVAL_MS', 1_000, 10, MAX_TIMER_MS);
  const redisSentinels = readRedisSentinels(read);
  const redisClusterNodes = readRedisClusterNodes(read, redisUrl, redisSentinels !== undefined);
  // Without acknowledged writes, a failover (or an old primary still reachable after one) can hand a node ID in use
  // to another instance (duplicate IDs), or a lock with a fencing token already handed out.
  const acksWithSentinels = (name: string, acks: number): number => {
    if (redisSentinels && acks === 0) {
      throw new ConfigError(
        name,
        String(acks),
        'with REDIS_SENTINELS it must be ≥ 1: the number of replicas of the Sentinel-monitored primary',
      );
    }
    return acks;
  };
  const leaseReplicaAcks = acksWithSentinels(
    'TSID_LEASE_REPLICA_ACKS',
    read.integer('TSID_LEASE_REPLICA_ACKS', 0, 0, 100),
  );
  const lockReplicaAcks = acksWithSentinels('LOCK_REPLICA_ACKS', read.integer('LOCK_REPLICA_ACKS', 0, 0, 100));
  const minPoolSize = read.integer('MONGODB_MIN_POOL_SIZE', 2, 0, 1_000);
  const maxPoolSize = read.integer('MONGODB_MAX_POOL_SIZE', 10, 1, 1_000);
  if (maxPoolSize < minPoolSize) {
    throw new ConfigError(
      'MONGODB_MAX_POOL_SIZE',
      String(maxPoolSize),
      `it must be at least MONGODB_MIN_POOL_SIZE (${minPoolSize})`,
    );
  }
  return {
    port,
    httpRequestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    httpAdapter: read.oneOf('HTTP_ADAPTER', 'fastify', ['fastify', 'express']),
    mongodb: {
      uri: checkMongoUri(read.url('MONGODB_URI', 'mongodb://127.0.0.1:27017/enterprise', ['mongodb:', 'mongodb+srv:'])),
      minPoolSize,
      maxPoolSize,
      serverSelectionTimeoutMs: read.integer('MONGODB_SERVER_SELECTION_TIMEOUT_MS', 5_000, 1),
      socketTimeoutMs: read.integer('MONGODB_SOCKET_TIMEOUT_MS', 45_000, 1),
      operationTimeoutMs: read.integer('MONGODB_OPERATION_TIMEOUT_MS', 5_000, 1),
      retryReads: read.boolean('MONGODB_RETRY_READS', true),
      retryWrites: read.boolean('MONGODB_RETRY_WRITES', true),
    },
    redisUrl,
    redisTlsCa: readRedisTlsCa(read, redisUrl),
    redisSentinels,
    redisClusterNodes,
    redisSentinelName: read.string(
      'REDIS_SENTINEL_NAME',
      'mymaster',
      /^[A-Za-z0-9._-]+$/,
      'it must be a Sentinel master name (letters, digits, ".", "_", "-")',
    ),
    shutdown: {
      drainDelayMs: read.integer('SHUTDOWN_DRAIN_DELAY_MS', 5_000, 0, MAX_TIMER_MS),
      timeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 30_000, 0, MAX_TIMER_MS),
    },
    health: {
      readinessInclude: read.list('HEALTH_READINESS_INCLUDE', ['mongodb', 'redis', 'memory', 'tsid'], READINESS_CHECKS),
    },
    tsid: {
      nodeId: read.optionalInteger('TSID_NODE_ID', 0, 2 ** nodeBits - 1),
      nodeBits,
      leaseTtlMs,
      refreshIntervalMs,
      replicaAcks: leaseReplicaAcks,
      maxClockSkewMs: read.integer('TSID_MAX_CLOCK_SKEW_MS', 1_000, 0, 60_000),
      clockOffsetMs: read.integer('TSID_CLOCK_OFFSET_MS', 0, -86_400_000, 86_400_000),
    },
    lock: { replicaAcks: lockReplicaAcks },
    upstream: {
      url: read.url('UPSTREAM_URL', 'http://127.0.0.1:4000', ['http:', 'https:']).replace(/\/+$/, ''),
      timeoutMs: read.integer('UPSTREAM_TIMEOUT_MS', 2_000, 1, MAX_TIMER_MS),
      breakerResetMs: read.integer('UPSTREAM_BREAKER_RESET_MS', 60_000, 1, MAX_TIMER_MS),
    },
    demoEndpoints: read.boolean('DEMO_ENDPOINTS', false),
    leaderLoop: {
      targetUrl:
        read.raw('LEADER_LOOP_TARGET_URL') === undefined
          ? undefined
          : read.url('LEADER_LOOP_TARGET_URL', '', ['http:', 'https:']),
      intervalMs: leaderIntervalMs,
      lockTtlMs: leaderLockTtlMs,
    },
    organizations: { countRefreshMs: read.integer('ORGANIZATIONS_COUNT_REFRESH_MS', 15_000, 100) },
    jobs: {
      provisionMs: read.integer('PROVISION_MS', 200, 0, 600_000),
      lockDurationMs: read.integer('JOBS_LOCK_DURATION_MS', 30_000, 1_000),
      stalledIntervalMs: read.integer('JOBS_STALLED_INTERVAL_MS', 30_000, 100),
      concurrency: read.integer('JOBS_CONCURRENCY', 10, 1, 1_000),
    },
    metrics: {
      prefix: read.string(
        'METRICS_PREFIX',
        'enterprise_service_',
        /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/,
        'it must be a Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
      ),
      port: metricsPort,
      host: read.string(
        'METRICS_HOST',
        '0.0.0.0',
        /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[a-zA-Z0-9.-]{1,253})$/,
        'it must be an IP address or a host name to bind the metrics port to',
      ),
      token: read.secret('METRICS_TOKEN'),
    },
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    service: {
      name: 'enterprise-service',
      version: read.string('SERVICE_VERSION', packageJson.version),
    },
  };
}

/** REDIS_SENTINELS; REDIS_SENTINEL_NAME is refused without it, as it would silently do nothing. */
function readRedisSentinels(read: EnvReader): AppConfig['redisSentinels'] {
  const sentinels = read.hostPorts('REDIS_SENTINELS');
  const name = read.raw('REDIS_SENTINEL_NAME');
  if (!sentinels && name !== undefined)
    throw new ConfigError('REDIS_SENTINEL_NAME', name, 'it applies only with REDIS_SENTINELS; unset it or set both');
  return sentinels;
}

/**
 * REDIS_CLUSTER_NODES: a Redis Cluster's seed nodes. Refused with REDIS_SENTINELS (a cluster fails over by itself)
 * and with a database in REDIS_URL (a cluster has only database 0).
 */
function readRedisClusterNodes(
  read: EnvReader,
  redisUrl: string,
  withSentinels: boolean,
): AppConfig['redisClusterNodes'] {
  const nodes = read.hostPorts('REDIS_CLUSTER_NODES');
  if (!nodes) return undefined;
  const value = read.raw('REDIS_CLUSTER_NODES') ?? '';
  if (withSentinels)
    throw new ConfigError('REDIS_CLUSTER_NODES', value, 'it cannot be set with REDIS_SENTINELS; set one of them');
  // Untested here, so not offered: TLS to a cluster also needs the addresses its nodes announce to match certificates.
  if (redisUrl.startsWith('rediss:'))
    throw new ConfigError(
      'REDIS_URL',
      maskCredentials(redisUrl),
      'with REDIS_CLUSTER_NODES it must be redis:// (TLS to a Redis Cluster is not supported)',
    );
  const database = new URL(redisUrl).pathname.slice(1);
  if (database !== '' && database !== '0')
    throw new ConfigError(
      'REDIS_URL',
      maskCredentials(redisUrl),
      'with REDIS_CLUSTER_NODES it takes no database (a Redis Cluster has only database 0)',
    );
  return nodes;
}

/**
 * Reads REDIS_TLS_CA_FILE once: a missing file or one without a certificate stops start-up instead of failing every
 * TLS handshake. It only applies to a `rediss://` REDIS_URL, so it is refused with any other.
 */
function readRedisTlsCa(read: EnvReader, redisUrl: string): AppConfig['redisTlsCa'] {
  const file = read.raw('REDIS_TLS_CA_FILE');
  if (file === undefined) return undefined;
  if (!redisUrl.startsWith('rediss:'))
    throw new ConfigError('REDIS_TLS_CA_FILE', file, 'it applies only to a rediss:// REDIS_URL');
  let pem: string | undefined;
  try {
    pem = readFileSync(file, 'utf8');
    new X509Certificate(pem);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : pem === undefined
          ? `cannot be read: ${code ?? String(error)}`
          : 'not a PEM certificate';
    throw new ConfigError('REDIS_TLS_CA_FILE', file, `it must be a readable PEM file of CA certificates (${reason})`);
  }
  return { file, pem };
}

/**
 * Parses the URI with the MongoDB driver's own parser (constructing a client connects to nothing), so an option
 * the driver rejects stops start-up instead of failing every reconnection attempt forever.
 */
function checkMongoUri(uri: string): string {
  try {
    new mongo.MongoClient(uri);
  } catch (error) {
    const reason = maskCredentials(error instanceof Error ? error.message : String(error));
    throw new ConfigError('MONGODB_URI', maskCredentials(uri), `the MongoDB driver rejects it: ${reason}`);
  }
  return uri;
}
