import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config';

/**
 * The service's one pino logger: JSON lines on stdout (synchronous writes, so a line is out before a crash or
 * `process.exit`), at `LOG_LEVEL`, each with the service's name and version. Tests pass their own destination.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel' | 'service'>,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino(
    { level: config.logLevel, base: { service: config.service.name, version: config.service.version } },
    destination,
  );
}
