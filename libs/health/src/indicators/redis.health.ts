import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Cluster, Redis } from 'ioredis';

/**
 * PINGs an ioredis client the application owns (a `Cluster` is ready once it knows every slot's primary, and PINGs
 * one node). When the client is not connected it answers down at once instead of queueing a PING behind the
 * reconnection; the reason names the client state, never the host.
 */
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly client: Redis | Cluster,
  ) {}

  async check(key = 'redis'): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    if (this.client.status !== 'ready') {
      return session.down({ message: `not connected (client status: ${this.client.status})` });
    }
    try {
      const reply = await this.client.ping();
      return reply === 'PONG' ? session.up() : session.down({ message: 'PING got an unexpected reply' });
    } catch (error) {
      return session.down({ message: `PING failed: ${describe(error)}` });
    }
  }
}

// Only the error's kind: ioredis messages can carry host and port.
function describe(error: unknown): string {
  if (error instanceof Error) return (error as Error & { code?: string }).code ?? error.name;
  return 'unknown error';
}
