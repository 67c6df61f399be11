import { RedisModule, type RedisModuleOptions } from '@liaoliaots/nestjs-redis';
import { Logger, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { instrumentConnection, MetricsService } from '@nestjs-reliability/metrics';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MongoConnector } from './mongo.connector';
import { mongooseOptions } from './mongoose-options';
import { redisConnectionOptions } from './redis-connection';

/**
 * MongoDB (mongoose) and Redis (ioredis through @liaoliaots/nestjs-redis), both connected in the background:
 * a dependency that is down never blocks start-up or crashes the process; readiness says what is missing.
 * Commands fail fast while a dependency is down (no mongoose buffering, no ioredis offline queue), so
 * requests get a 503 at once instead of hanging.
 */
@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [APP_CONFIG, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService) => ({
        uri: config.mongodb.uri,
        connectionFactory: (connection: Connection) => instrumentConnection(connection, metrics),
        lazyConnection: true,
        ...mongooseOptions(config.mongodb),
      }),
    }),
    RedisModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (...args: unknown[]) => redisOptions(args[0] as AppConfig),
    }),
  ],
  providers: [MongoConnector],
})
export class ConnectionsModule {}

// The wrapper types its factory's arguments as unknown[].
function redisOptions(config: AppConfig): RedisModuleOptions {
  return {
    readyLog: false,
    errorLog: false,
    config: {
      ...redisConnectionOptions(config),
      // A paused primary holds commands without closing the socket; fail them instead of waiting forever. A
      // partitioned old primary still reachable from here is not left by itself (no failoverDetector, and timeouts
      // do not reconnect): the TSID lease then stops counting refreshes (IDs answer 503) until the partition heals
      // and the demoted primary's READONLY sends the client back to the Sentinels (libs/tsid/README.md, "Known
      // limits").
      ...(config.redisSentinels && { commandTimeout: 2_000 }),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // After disconnect(), a socket still open after this is destroyed (the 2 s default holds up exit).
      disconnectTimeout: 200,
      onClientCreated: logRedisState,
    },
  };
}

function logRedisState(client: Redis): void {
  const logger = new Logger('Redis');
  let down = false;
  client.on('ready', () => {
    logger.log(down ? 'Redis reconnected' : 'Redis connected');
    down = false;
  });
  // Logged once per outage, not once per reconnect attempt.
  client.on('error', (error: Error) => {
    if (!down) logger.warn(`Redis unreachable (${error.message}); reconnecting in the background`);
    down = true;
  });
}
