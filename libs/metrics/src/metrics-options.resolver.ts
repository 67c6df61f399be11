import { checkInteger, checkSecretToken, InvalidOptionError } from '@nestjs-reliability/common';
import { METRICS_DEFAULTS, type MetricsModuleOptions } from './metrics.options';

export interface ResolvedMetricsOptions {
  readonly prefix: string;
  readonly httpMetrics: boolean;
  readonly httpBuckets: readonly number[];
  readonly excludeRoutes: readonly string[];
  readonly endpoint: boolean;
  readonly path: string;
  readonly token: string | undefined;
  readonly port: number | undefined;
  readonly host: string | undefined;
  readonly defaultMetrics: boolean;
  readonly eventLoopLagWindowMs: number;
  readonly includeGlobalRegistry: boolean;
}

const SCOPE = 'MetricsModule';
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Applies defaults and rejects options that cannot work, with one message naming the option, the value and the rule. */
export function resolveMetricsOptions(options: MetricsModuleOptions): ResolvedMetricsOptions {
  const prefix = options.prefix ?? METRICS_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_PREFIX.test(prefix))) {
    throw new InvalidOptionError(SCOPE, 'prefix', prefix, 'it must match [a-zA-Z_:][a-zA-Z0-9_:]* (or be empty)');
  }
  const path = options.path ?? METRICS_DEFAULTS.path;
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path)) {
    throw new InvalidOptionError(SCOPE, 'path', path, 'it must be an absolute path such as "/metrics"');
  }
  const token = options.token === undefined ? undefined : checkSecretToken(SCOPE, 'token', options.token);
  const excludeRoutes = options.excludeRoutes ?? METRICS_DEFAULTS.excludeRoutes;
  if (!Array.isArray(excludeRoutes) || !excludeRoutes.every((route) => typeof route === 'string')) {
    throw new InvalidOptionError(SCOPE, 'excludeRoutes', excludeRoutes, 'it must be an array of route templates');
  }
  return {
    prefix,
    httpMetrics: options.httpMetrics ?? METRICS_DEFAULTS.httpMetrics,
    httpBuckets: checkBuckets(options.httpBuckets ?? METRICS_DEFAULTS.httpBuckets),
    excludeRoutes,
    endpoint: options.endpoint ?? METRICS_DEFAULTS.endpoint,
    path,
    token,
    port: options.port === undefined ? undefined : checkInteger(SCOPE, 'port', options.port, 0, 65_535),
    host: options.host,
    defaultMetrics: options.defaultMetrics ?? METRICS_DEFAULTS.defaultMetrics,
    eventLoopLagWindowMs: checkInteger(
      SCOPE,
      'eventLoopLagWindowMs',
      options.eventLoopLagWindowMs ?? METRICS_DEFAULTS.eventLoopLagWindowMs,
      1_000,
      300_000,
    ),
    includeGlobalRegistry: options.includeGlobalRegistry ?? METRICS_DEFAULTS.includeGlobalRegistry,
  };
}

function checkBuckets(buckets: unknown): readonly number[] {
  const fail = (rule: string): never => {
    throw new InvalidOptionError(SCOPE, 'httpBuckets', buckets, rule);
  };
  if (!Array.isArray(buckets) || buckets.length === 0) fail('it must be a non-empty array of upper bounds in seconds');
  const list = buckets as unknown[];
  let previous = 0;
  list.forEach((bound, index) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
      return fail(`every bound must be a positive finite number (+Inf is implicit); bound ${index} is not`);
    }
    if (bound <= previous) fail(`bounds must be strictly increasing; bound ${index} is not above the one before it`);
    previous = bound;
  });
  return Object.freeze([...(list as number[])]);
}
