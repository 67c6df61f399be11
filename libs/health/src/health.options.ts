import { checkInteger, checkNumber, InvalidOptionError } from '@nestjs-reliability/common';
import { getHeapStatistics } from 'node:v8';
import type { Cluster, Redis } from 'ioredis';
import type { Connection } from 'mongoose';

const SCOPE = 'HealthModule';
const MB = 1024 * 1024;

/**
 * The defaults, declared once. Not listed: `include` (every registered check), `memory.heapUsedThresholdMb` (90 % of
 * V8's heap limit), a check's `timeoutMs` (`checkTimeoutMs`), and `mongodb`, `redis`, `liveness` (off unless set).
 */
export const HEALTH_DEFAULTS = {
  service: 'unknown',
  version: '0.0.0',
  path: 'health',
  checkTimeoutMs: 2_000,
  refreshIntervalMs: 2_000,
  exposeErrorDetails: true,
  memory: { critical: true },
  mongodb: { critical: true },
  redis: { critical: false },
  liveness: { sustainedMs: 10_000 },
} as const;

/** Options of `HealthModule.forRoot` / `forRootAsync`. Every field is optional; defaults live in `HEALTH_DEFAULTS`. */
export interface HealthModuleOptions {
  /** `service` in probe bodies. Default `"unknown"`. */
  service?: string;
  /** `version` in probe bodies. Default `"0.0.0"`. */
  version?: string;
  /** Path prefix of the probes (`/<path>/liveness`, `/readiness`, `/startup`). Default `"health"`. */
  path?: string;
  /**
   * Names of the checks that make up readiness (the reference service passes `HEALTH_READINESS_INCLUDE`).
   * Start-up fails when a name has no registered indicator. Default: every registered check.
   */
  include?: readonly string[];
  /** Timeout of a check that sets none itself. Default 2000 ms. */
  checkTimeoutMs?: number;
  /** Pause between two background computations of readiness; probes are served from the last one. Default 2000 ms. */
  refreshIntervalMs?: number;
  /** Put a short reason next to a check that is down. Default true. Turn it off to answer only with statuses. */
  exposeErrorDetails?: boolean;
  /** The `memory` check: heap used against a threshold. `false` registers no memory check. */
  memory?: false | { heapUsedThresholdMb?: number; critical?: boolean; timeoutMs?: number };
  /** The `mongodb` check: pings this mongoose connection (e.g. injected with `getConnectionToken()`). */
  mongodb?: { connection: Connection; critical?: boolean; timeoutMs?: number };
  /** The `redis` check: PINGs this ioredis client (a `Cluster` too). Non-critical unless `critical: true`. */
  redis?: { client: Redis | Cluster; critical?: boolean; timeoutMs?: number };
  /** Liveness fails when event-loop lag stays above `maxEventLoopLagMs` for `sustainedMs` (default 10000 ms). Off unless set. */
  liveness?: { maxEventLoopLagMs?: number; sustainedMs?: number };
}

export interface ResolvedHealthOptions {
  service: string;
  version: string;
  path: string;
  include: readonly string[] | undefined;
  checkTimeoutMs: number;
  refreshIntervalMs: number;
  exposeErrorDetails: boolean;
  memory: false | { heapUsedThresholdBytes: number; critical: boolean; timeoutMs: number | undefined };
  mongodb: { connection: Connection; critical: boolean; timeoutMs: number | undefined } | undefined;
  redis: { client: Redis | Cluster; critical: boolean; timeoutMs: number | undefined } | undefined;
  liveness: { maxEventLoopLagMs: number; sustainedMs: number } | undefined;
}

/** Applies defaults and validates, so a mistake stops start-up with one line naming the option. */
export function resolveHealthOptions(options: HealthModuleOptions = {}): ResolvedHealthOptions {
  const timeout = (option: string, value: number | undefined) =>
    value === undefined ? undefined : checkInteger(SCOPE, option, value, 1);
  const memory = options.memory ?? {};
  return {
    service: text('service', options.service ?? HEALTH_DEFAULTS.service),
    version: text('version', options.version ?? HEALTH_DEFAULTS.version),
    path: path(options.path ?? HEALTH_DEFAULTS.path),
    include: options.include === undefined ? undefined : include(options.include),
    checkTimeoutMs: checkInteger(SCOPE, 'checkTimeoutMs', options.checkTimeoutMs ?? HEALTH_DEFAULTS.checkTimeoutMs, 1),
    refreshIntervalMs: checkInteger(
      SCOPE,
      'refreshIntervalMs',
      options.refreshIntervalMs ?? HEALTH_DEFAULTS.refreshIntervalMs,
      10,
    ),
    exposeErrorDetails: options.exposeErrorDetails ?? HEALTH_DEFAULTS.exposeErrorDetails,
    memory:
      memory === false
        ? false
        : {
            // 90% of V8's heap limit: above it, the next allocation spike is likely to end in an out-of-memory crash.
            heapUsedThresholdBytes:
              memory.heapUsedThresholdMb === undefined
                ? Math.floor(getHeapStatistics().heap_size_limit * 0.9)
                : checkNumber(SCOPE, 'memory.heapUsedThresholdMb', memory.heapUsedThresholdMb, 1) * MB,
            critical: memory.critical ?? HEALTH_DEFAULTS.memory.critical,
            timeoutMs: timeout('memory.timeoutMs', memory.timeoutMs),
          },
    mongodb: options.mongodb && {
      connection: required('mongodb.connection', options.mongodb.connection),
      critical: options.mongodb.critical ?? HEALTH_DEFAULTS.mongodb.critical,
      timeoutMs: timeout('mongodb.timeoutMs', options.mongodb.timeoutMs),
    },
    redis: options.redis && {
      client: required('redis.client', options.redis.client),
      critical: options.redis.critical ?? HEALTH_DEFAULTS.redis.critical,
      timeoutMs: timeout('redis.timeoutMs', options.redis.timeoutMs),
    },
    liveness:
      options.liveness?.maxEventLoopLagMs === undefined
        ? undefined
        : {
            maxEventLoopLagMs: checkInteger(SCOPE, 'liveness.maxEventLoopLagMs', options.liveness.maxEventLoopLagMs, 1),
            sustainedMs: checkInteger(
              SCOPE,
              'liveness.sustainedMs',
              options.liveness.sustainedMs ?? HEALTH_DEFAULTS.liveness.sustainedMs,
              0,
            ),
          },
  };
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError(SCOPE, option, value, 'it must be a non-empty string');
  }
  return value;
}

function path(value: unknown): string {
  const trimmed = typeof value === 'string' ? value.replace(/^\/+|\/+$/g, '') : value;
  if (typeof trimmed !== 'string' || !/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(trimmed)) {
    throw new InvalidOptionError(SCOPE, 'path', value, 'it must be a URL path such as "health" or "ops/health"');
  }
  return trimmed;
}

function include(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((name) => typeof name === 'string' && name !== '')) {
    throw new InvalidOptionError(SCOPE, 'include', value, 'it must be a non-empty list of check names');
  }
  return [...new Set(value as string[])];
}

function required<T>(option: string, value: T | undefined | null): T {
  if (value === undefined || value === null) {
    throw new InvalidOptionError(SCOPE, option, value, 'it is required when its check is configured');
  }
  return value;
}

/** Fails start-up when readiness names a check that nothing registered (a typo, or a module not imported). */
export function checkReadinessGroup(include: readonly string[], registered: readonly string[]): void {
  const missing = include.filter((name) => !registered.includes(name));
  if (missing.length > 0) {
    const known = registered.length > 0 ? registered.join(', ') : 'none';
    throw new InvalidOptionError(
      SCOPE,
      'include',
      include,
      `no health indicator is registered as ${missing.map((name) => `"${name}"`).join(', ')} (registered: ${known}); ` +
        'remove the name or register its indicator with HealthRegistry.register() in onModuleInit',
    );
  }
}
