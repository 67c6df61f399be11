import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Connection } from 'mongoose';

const STATES: Record<number, string> = { 0: 'disconnected', 1: 'connected', 2: 'connecting', 3: 'disconnecting' };

/**
 * Pings MongoDB through a mongoose connection the application owns (e.g. injected with `getConnectionToken()`).
 * When the connection is not open it answers down at once instead of waiting for server selection; reasons
 * name the connection state or the error kind, never the URI or a host.
 */
export class MongoDbHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connection: Connection,
  ) {}

  async check(key = 'mongodb'): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    const state = this.connection.readyState as number;
    if (state !== 1) {
      return session.down({ message: `not connected (connection state: ${STATES[state] ?? state})` });
    }
    try {
      await this.connection.db!.command({ ping: 1 });
      return session.up();
    } catch (error) {
      return session.down({ message: `ping failed: ${error instanceof Error ? error.name : 'unknown error'}` });
    }
  }
}
