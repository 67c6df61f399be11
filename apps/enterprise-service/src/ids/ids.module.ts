import { RedisService } from '@liaoliaots/nestjs-redis';
import { Module } from '@nestjs/common';
import { TsidModule } from '@nestjs-reliability/tsid';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IdsController } from './ids.controller';

/** TSIDs for the service: a static node ID when `TSID_NODE_ID` is set, otherwise one leased in Redis. */
@Module({
  imports: [
    TsidModule.forRootAsync({
      isGlobal: true,
      inject: [APP_CONFIG, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => ({
        nodeBits: config.tsid.nodeBits,
        maxClockSkewMs: config.tsid.maxClockSkewMs,
        clockOffsetMs: config.tsid.clockOffsetMs,
        ...(config.tsid.nodeId !== undefined
          ? { nodeId: config.tsid.nodeId }
          : {
              lease: {
                redis: redis.getOrThrow(),
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
