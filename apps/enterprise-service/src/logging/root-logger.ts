import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config';

/**
 * The service's one pino logger: JSON lines at `LOG_LEVEL`, each with the service's name and version, written to
 * `destination` (the app factory's: stdout, synchronously, one write per event-loop turn once serving; see
 * TurnBufferedDestination).
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel' | 'service'>,
  destination: DestinationStream,
): Logger {
  return pino(
    { level: config.logLevel, base: { service: config.service.name, version: config.service.version } },
    destination,
  );
}
