import { RedisService } from '@liaoliaots/nestjs-redis';
import { type DynamicModule, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { HealthModule } from '@nestjs-reliability/health';
import { LockModule } from '@nestjs-reliability/lock';
import { MetricsModule } from '@nestjs-reliability/metrics';
import { ShutdownModule } from '@nestjs-reliability/shutdown';
import type { Connection } from 'mongoose';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule } from './connections/connections.module';
import { DemoModule } from './demo/demo.module';
import { DirectoryModule } from './directory/directory.module';
import { IdsModule } from './ids/ids.module';
import { LeaderLoopModule } from './leader/leader-loop.module';
import { OrganizationsModule } from './organizations/organizations.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule.forRoot(config.metrics),
        ConnectionsModule,
        OrganizationsModule.forRoot(config),
        IdsModule,
        DirectoryModule,
        HealthModule.forRootAsync({
          inject: [getConnectionToken(), RedisService],
          useFactory: (mongodb: Connection, redis: RedisService) => ({
            service: config.service.name,
            version: config.service.version,
            include: config.health.readinessInclude,
            mongodb: { connection: mongodb },
            redis: { client: redis.getOrThrow() },
          }),
        }),
        LockModule.forRootAsync({
          isGlobal: true,
          inject: [RedisService],
          useFactory: (redis: RedisService) => ({
            clients: [redis.getOrThrow()],
            replicaAcks: config.lock.replicaAcks,
          }),
        }),
        ShutdownModule.forRoot({ drainDelayMs: config.shutdown.drainDelayMs, timeoutMs: config.shutdown.timeoutMs }),
        ...(config.demoEndpoints ? [DemoModule] : []),
        ...(config.leaderLoop.targetUrl ? [LeaderLoopModule] : []),
      ],
    };
  }
}
