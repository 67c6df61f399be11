import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { type Connection, ConnectionStates } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { watchHeartbeats } from './heartbeat-watch';
import { mongooseOptions } from './mongoose-options';
import { reconnectDelay } from './reconnect-delay';

/**
 * Keeps trying to reach MongoDB in the background. The connection is created lazily, so start-up never waits
 * for MongoDB; mongoose reconnects by itself once it has connected, but gives up on a failed *initial*
 * connection, which this loop retries with capped exponential backoff until it succeeds or the app stops.
 * The driver's reconnection rests on its server monitor: when a heartbeat of that monitor never ends (see
 * `watchHeartbeats`), the connection is closed and the same loop opens it again.
 */
@Injectable()
export class MongoConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MongoDB');
  private readonly stop = new AbortController();
  private connectedOnce = false;
  private unwatch: (() => void) | undefined;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Without a listener an 'error' event would throw; the loop below reports failures instead.
    connection.on('error', () => undefined);
    // Failed initial attempts emit 'disconnected' too; only a lost established connection is news.
    connection.on('disconnected', () => {
      if (this.connectedOnce) this.logger.warn('MongoDB disconnected; the driver is reconnecting');
    });
    connection.on('reconnected', () => this.logger.log('MongoDB reconnected'));
    // Whoever closes it at shutdown (this connector or @nestjs/mongoose), the log says when it happened.
    connection.on('close', () => {
      if (this.connectedOnce) this.logger.log('MongoDB connection closed');
    });
  }

  onApplicationBootstrap(): void {
    void this.connectInBackground();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    this.unwatch?.();
    // mongoose's close() and destroy() wait ~30 s for a connect attempt in flight, so only a live connection is
    // closed through mongoose; otherwise the driver's client is closed at once and the attempt fails by itself.
    if (this.connection.readyState === ConnectionStates.connected) await this.connection.close();
    else await this.connection.getClient()?.close(true);
  }

  private async reopen(address: string, ms: number): Promise<void> {
    if (this.stop.signal.aborted) return;
    this.logger.warn(
      `MongoDB driver's heartbeat to ${address} neither succeeded nor failed within ${ms} ms (its monitor is stuck); reopening the connection`,
    );
    // Not forced: a forced close would fail every later operation of this connection's models.
    await this.connection.close().catch(() => undefined);
    await this.connectInBackground(2);
  }

  private async connectInBackground(firstAttempt = 1): Promise<void> {
    for (let attempt = firstAttempt; !this.stop.signal.aborted; attempt++) {
      try {
        if (attempt === 1) await this.connection.asPromise();
        // Without its options a retry would connect with the driver's defaults (30 s server selection, no pool bounds).
        else await this.connection.openUri(this.config.mongodb.uri, mongooseOptions(this.config.mongodb));
        this.connectedOnce = true;
        this.logger.log('MongoDB connected');
        this.unwatch = watchHeartbeats(this.connection.getClient(), (address, ms) => void this.reopen(address, ms));
        return;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        const delay = reconnectDelay(attempt);
        // The driver's message names host and port, never the credentials of the URI.
        this.logger.warn(
          `MongoDB unreachable (attempt ${attempt}: ${(error as Error).message}); retrying in ${Math.round(delay)} ms`,
        );
        await sleep(delay, undefined, { signal: this.stop.signal, ref: false }).catch(() => undefined);
      }
    }
  }
}
