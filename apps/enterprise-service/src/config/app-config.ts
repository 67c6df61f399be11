// Bundled at build time: the version the service reports is the one it was built from.
import packageJson from '../../../../package.json';
import { ConfigError } from './config.error';
import { EnvReader } from './env-reader';

export const READINESS_CHECKS = ['mongodb', 'redis', 'memory', 'tsid', 'circuit-breakers'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The reference service's configuration, read once from the environment (see shared/CONTRACT.md). */
export interface AppConfig {
  port: number;
  httpAdapter: 'fastify' | 'express';
  mongodbUri: string;
  redisUrl: string;
  /** When set, the Redis primary is found through these Sentinels instead of `redisUrl`. */
  redisSentinels: Array<{ host: string; port: number }> | undefined;
  redisSentinelName: string;
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
  upstream: { url: string; timeoutMs: number; breakerResetMs: number };
  demoEndpoints: boolean;
  /** `port`/`token`: serve /metrics on a port of its own / only with `Authorization: Bearer <token>`. */
  metrics: { prefix: string; port: number | undefined; token: string | undefined };
  logLevel: (typeof LOG_LEVELS)[number];
  service: { name: string; version: string };
}

export const APP_CONFIG = Symbol('enterprise-service:config');

/** Parses and validates the environment; throws `ConfigError` on the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeBits = read.integer('TSID_NODE_BITS', 10, 0, 20);
  const leaseTtlMs = read.integer('TSID_LEASE_TTL_MS', 30_000, 1_000);
  const refreshIntervalMs = read.integer('TSID_REFRESH_INTERVAL_MS', Math.floor(leaseTtlMs / 3), 100);
  if (refreshIntervalMs >= leaseTtlMs) {
    throw new ConfigError(
      'TSID_REFRESH_INTERVAL_MS',
      String(refreshIntervalMs),
      `it must be below TSID_LEASE_TTL_MS (${leaseTtlMs})`,
    );
  }
  const port = read.integer('PORT', 3000, 1, 65_535);
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
  return {
    port,
    httpAdapter: read.oneOf('HTTP_ADAPTER', 'fastify', ['fastify', 'express']),
    mongodbUri: read.url('MONGODB_URI', 'mongodb://127.0.0.1:27017/enterprise', ['mongodb:', 'mongodb+srv:']),
    redisUrl: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisSentinels: read.hostPorts('REDIS_SENTINELS'),
    redisSentinelName: read.string(
      'REDIS_SENTINEL_NAME',
      'mymaster',
      /^[A-Za-z0-9._-]+$/,
      'it must be a Sentinel master name (letters, digits, ".", "_", "-")',
    ),
    shutdown: {
      drainDelayMs: read.integer('SHUTDOWN_DRAIN_DELAY_MS', 5_000, 0),
      timeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 30_000, 0),
    },
    health: {
      readinessInclude: read.list('HEALTH_READINESS_INCLUDE', ['mongodb', 'redis', 'memory', 'tsid'], READINESS_CHECKS),
    },
    tsid: {
      nodeId: read.optionalInteger('TSID_NODE_ID', 0, 2 ** nodeBits - 1),
      nodeBits,
      leaseTtlMs,
      refreshIntervalMs,
      replicaAcks: read.integer('TSID_LEASE_REPLICA_ACKS', 0, 0, 100),
      maxClockSkewMs: read.integer('TSID_MAX_CLOCK_SKEW_MS', 1_000, 0, 60_000),
      clockOffsetMs: read.integer('TSID_CLOCK_OFFSET_MS', 0, -86_400_000, 86_400_000),
    },
    upstream: {
      url: read.url('UPSTREAM_URL', 'http://127.0.0.1:4000', ['http:', 'https:']).replace(/\/+$/, ''),
      timeoutMs: read.integer('UPSTREAM_TIMEOUT_MS', 2_000, 1),
      breakerResetMs: read.integer('UPSTREAM_BREAKER_RESET_MS', 60_000, 1),
    },
    demoEndpoints: read.boolean('DEMO_ENDPOINTS', false),
    metrics: {
      prefix: read.string(
        'METRICS_PREFIX',
        'enterprise_service_',
        /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/,
        'it must be a Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
      ),
      port: metricsPort,
      // Never echoed: MetricsModule rejects a malformed token without printing it.
      token: read.raw('METRICS_TOKEN'),
    },
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    service: {
      name: 'enterprise-service',
      version: read.string('SERVICE_VERSION', packageJson.version),
    },
  };
}
