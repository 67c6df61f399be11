import { ClusterModule, ClusterService, RedisModule, RedisService } from '@liaoliaots/nestjs-redis';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { instrumentConnection, MetricsService } from '@nestjs-reliability/metrics';
import type { Cluster, Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MongoConnector } from './mongo.connector';
import { mongooseOptions } from './mongoose-options';
import { redisClusterOptions, redisConnectionOptions } from './redis-connection';

/** The service's ioredis client (`Redis`, or `Cluster` with REDIS_CLUSTER_NODES): TSID leases, locks, health. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

// Fail fast while Redis is away (no offline queue, one retry), so a request gets a 503 at once instead of hanging;
// after disconnect(), a socket still open after 200 ms is destroyed (the 2 s default holds up exit).
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 200 } as const;

/**
 * MongoDB (mongoose) and Redis (ioredis through @liaoliaots/nestjs-redis: one server, Sentinels or a cluster), both
 * connected in the background: a dependency that is down never blocks start-up or crashes the process; readiness
 * says what is missing. Commands fail fast while a dependency is down (no mongoose buffering, no ioredis offline
 * queue), so requests get a 503 at once instead of hanging.
 */
@Module({})
export class ConnectionsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const cluster = config.redisClusterNodes !== undefined;
    return {
      module: ConnectionsModule,
      global: true,
      imports: [
        MongooseModule.forRootAsync({
          inject: [APP_CONFIG, MetricsService],
          useFactory: (appConfig: AppConfig, metrics: MetricsService) => ({
            uri: appConfig.mongodb.uri,
            connectionFactory: (connection: Connection) => instrumentConnection(connection, metrics),
            lazyConnection: true,
            ...mongooseOptions(appConfig.mongodb),
          }),
        }),
        cluster
          ? ClusterModule.forRoot({ readyLog: false, errorLog: false, config: clusterClientOptions(config) })
          : RedisModule.forRoot({ readyLog: false, errorLog: false, config: redisClientOptions(config) }),
      ],
      providers: [
        MongoConnector,
        {
          provide: REDIS_CLIENT,
          inject: [cluster ? ClusterService : RedisService],
          useFactory: (clients: RedisService | ClusterService) => clients.getOrThrow(),
        },
      ],
      exports: [REDIS_CLIENT],
    };
  }
}

function redisClientOptions(config: AppConfig) {
  return {
    ...redisConnectionOptions(config),
    // A paused primary holds commands without closing the socket; fail them instead of waiting forever. A
    // partitioned old primary still reachable from here is not left by itself (no failoverDetector, and timeouts
    // do not reconnect): the TSID lease then stops counting refreshes (IDs answer 503) until the partition heals
    // and the demoted primary's READONLY sends the client back to the Sentinels (libs/tsid/README.md, "Known
    // limits").
    ...(config.redisSentinels && { commandTimeout: 2_000 }),
    ...FAIL_FAST,
    onClientCreated: logRedisState,
  };
}

function clusterClientOptions(config: AppConfig) {
  const { nodes, options } = redisClusterOptions(config);
  return {
    ...options,
    nodes,
    enableOfflineQueue: false,
    // A paused node holds commands without closing the socket: fail them (then the cluster refreshes its slots).
    redisOptions: { ...options.redisOptions, ...FAIL_FAST, commandTimeout: 2_000 },
    onClientCreated: logRedisState,
  };
}

function logRedisState(client: Redis | Cluster): void {
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
