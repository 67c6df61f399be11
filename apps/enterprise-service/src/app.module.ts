import { type DynamicModule, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { HealthModule } from '@nestjs-reliability/health';
import { LockModule } from '@nestjs-reliability/lock';
import { MetricsModule } from '@nestjs-reliability/metrics';
import { ShutdownModule } from '@nestjs-reliability/shutdown';
import type { Cluster, Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule, REDIS_CLIENT } from './connections/connections.module';
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
        ConnectionsModule.forRoot(config),
        OrganizationsModule.forRoot(config),
        IdsModule,
        DirectoryModule,
        HealthModule.forRootAsync({
          inject: [getConnectionToken(), REDIS_CLIENT],
          useFactory: (mongodb: Connection, redis: Redis | Cluster) => ({
            service: config.service.name,
            version: config.service.version,
            include: config.health.readinessInclude,
            mongodb: { connection: mongodb },
            redis: { client: redis },
          }),
        }),
        LockModule.forRootAsync({
          isGlobal: true,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | Cluster) => ({
            clients: [redis],
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
