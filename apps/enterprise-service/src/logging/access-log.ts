import type { Logger } from 'pino';

// Probes and scrapes are frequent and say nothing about traffic.
const QUIET_PATHS = /^\/(health\/|metrics(\?|$))/;

/**
 * Writes the access log of requests: one line per answered request, at info (warn for a 4xx, error for a 5xx,
 * with no error object: the status says it), except for probes and metrics scrapes. Which levels are on is read
 * once, so a request whose line would be dropped costs one comparison.
 */
export class AccessLog {
  private readonly minStatus: number;

  constructor(private readonly logger: Logger) {
    this.minStatus = logger.isLevelEnabled('info')
      ? 0
      : logger.isLevelEnabled('warn')
        ? 400
        : logger.isLevelEnabled('error')
          ? 500
          : Infinity;
  }

  /** False when not even a 5xx would be logged: no need to watch responses at all. */
  get enabled(): boolean {
    return this.minStatus !== Infinity;
  }

  requestCompleted(
    reqId: string,
    method: string | undefined,
    url: string,
    statusCode: number,
    responseTimeMs: number,
  ): void {
    if (statusCode < this.minStatus || QUIET_PATHS.test(url)) return;
    const line = {
      reqId,
      req: { method, url },
      res: { statusCode },
      responseTime: Math.round(responseTimeMs * 1000) / 1000,
    };
    if (statusCode >= 500) this.logger.error(line, 'request completed');
    else if (statusCode >= 400) this.logger.warn(line, 'request completed');
    else this.logger.info(line, 'request completed');
  }
}
