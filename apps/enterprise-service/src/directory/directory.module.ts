import { Module } from '@nestjs/common';
import { ResilienceModule } from '@nestjs-reliability/resilience';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DirectoryClient } from './directory.client';
import { DirectoryController } from './directory.controller';
import { UPSTREAM, upstreamPolicy } from './directory.policies';
import { LastGoodCache } from './last-good.cache';

/**
 * `GET /directory/:key` and the application's `ResilienceModule` (global; the `upstream` policy is its only
 * named policy so far: move the module up to AppModule when another feature needs one).
 */
@Module({
  imports: [
    ResilienceModule.forRootAsync({
      isGlobal: true,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ policies: { [UPSTREAM]: upstreamPolicy(config.upstream) } }),
    }),
  ],
  controllers: [DirectoryController],
  providers: [DirectoryClient, LastGoodCache],
})
export class DirectoryModule {}
