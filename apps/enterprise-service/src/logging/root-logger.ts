import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { TurnBufferedDestination } from './turn-buffered.destination';

/**
 * The service's one pino logger: JSON lines on stdout at `LOG_LEVEL`, each with the service's name and version.
 * Writes are synchronous, one per event-loop turn (see TurnBufferedDestination), so lines are out before a crash
 * or `process.exit`. Tests pass their own destination.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel' | 'service'>,
  destination: DestinationStream = new TurnBufferedDestination(pino.destination({ dest: 1, sync: true })),
): Logger {
  return pino(
    { level: config.logLevel, base: { service: config.service.name, version: config.service.version } },
    destination,
  );
}
