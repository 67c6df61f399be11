import { checkInteger, InvalidOptionError } from '@nestjs-reliability/common';

export interface JobsModuleOptions {
  /**
   * How often each queue's waiting, active, delayed and failed counts are read from Redis for the gauges (one
   * round trip per queue, in the background; a scrape never waits on Redis). Default 5000 ms.
   */
  countsRefreshMs?: number;
  /** The correlation id of the code enqueueing a job (e.g. the request id), stored with it by `JobsService.add`. */
  correlationId?: () => string | undefined;
  /** Whether the `jobs` readiness check is critical (a down check makes readiness 503). Default true. */
  critical?: boolean;
}

export interface ResolvedJobsOptions {
  countsRefreshMs: number;
  correlationId: () => string | undefined;
  critical: boolean;
}

/** The defaults, declared once. */
export const JOBS_DEFAULTS = {
  countsRefreshMs: 5_000,
  critical: true,
} as const;

const SCOPE = 'JobsModule';

export function resolveJobsOptions(options: JobsModuleOptions = {}): ResolvedJobsOptions {
  if (options.correlationId !== undefined && typeof options.correlationId !== 'function') {
    throw new InvalidOptionError(SCOPE, 'correlationId', options.correlationId, 'it must be a function');
  }
  if (options.critical !== undefined && typeof options.critical !== 'boolean') {
    throw new InvalidOptionError(SCOPE, 'critical', options.critical, 'it must be true or false');
  }
  return {
    countsRefreshMs: checkInteger(
      SCOPE,
      'countsRefreshMs',
      options.countsRefreshMs ?? JOBS_DEFAULTS.countsRefreshMs,
      100,
      2 ** 31 - 1,
    ),
    correlationId: options.correlationId ?? (() => undefined),
    critical: options.critical ?? JOBS_DEFAULTS.critical,
  };
}

/**
 * BullMQ worker settings that defeat recovery: a job is recovered only when its lock expires, and failed instead
 * when it stalled more than `maxStalledCount` times.
 */
export function checkWorkerOptions(queue: string, options: { lockDuration?: number; stalledInterval?: number }): void {
  const scope = `JobsModule (worker of queue "${queue}")`;
  if (options.lockDuration !== undefined) checkInteger(scope, 'lockDuration', options.lockDuration, 1_000);
  if (options.stalledInterval !== undefined) checkInteger(scope, 'stalledInterval', options.stalledInterval, 100);
}
