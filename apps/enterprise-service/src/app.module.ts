import { type DynamicModule, Module } from '@nestjs/common';
import { ShutdownModule } from '@nestjs-reliability/shutdown';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule } from './connections/connections.module';
import { DemoModule } from './demo/demo.module';
import { IdsModule } from './ids/ids.module';
import { LoggingModule } from './logging/logging.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { ProbesPlaceholderController } from './probes-placeholder.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        ConnectionsModule,
        OrganizationsModule,
        IdsModule,
        ShutdownModule.forRoot({ drainDelayMs: config.shutdown.drainDelayMs, timeoutMs: config.shutdown.timeoutMs }),
        ...(config.demoEndpoints ? [DemoModule] : []),
      ],
      controllers: [ProbesPlaceholderController],
    };
  }
}
