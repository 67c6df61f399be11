import { Module } from '@nestjs/common';
import { TsidModule } from '@nestjs-reliability/tsid';
import type { Cluster, Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS_CLIENT } from '../connections/connections.module';
import { IdsController } from './ids.controller';

/** TSIDs for the service: a static node ID when `TSID_NODE_ID` is set, otherwise one leased in Redis. */
@Module({
  imports: [
    TsidModule.forRootAsync({
      isGlobal: true,
      inject: [APP_CONFIG, REDIS_CLIENT],
      useFactory: (config: AppConfig, redis: Redis | Cluster) => ({
        nodeBits: config.tsid.nodeBits,
        maxClockSkewMs: config.tsid.maxClockSkewMs,
        clockOffsetMs: config.tsid.clockOffsetMs,
        ...(config.tsid.nodeId !== undefined
          ? { nodeId: config.tsid.nodeId }
          : {
              lease: {
                redis,
                // On a cluster every key of a lease must hash to one slot.
                ...(config.redisClusterNodes && { keyPrefix: '{sys:tsid}:' }),
                ttlMs: config.tsid.leaseTtlMs,
                refreshIntervalMs: config.tsid.refreshIntervalMs,
                replicaAcks: config.tsid.replicaAcks,
              },
            }),
      }),
    }),
  ],
  controllers: [IdsController],
})
export class IdsModule {}
