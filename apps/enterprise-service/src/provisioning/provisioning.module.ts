import { BullModule, Processor } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '@nestjs-reliability/jobs';
import type { AppConfig } from '../config/app-config';
import { redisConnectionOptions } from '../connections/redis-connection';
import { requestContext } from '../logging/request-context';
import { Organization, OrganizationSchema } from '../organizations/organization.schema';
import { PROVISIONING_QUEUE } from './provisioning.constants';
import { ProvisioningEffect, ProvisioningEffectSchema } from './provisioning-effect.schema';
import { ProvisioningProcessor } from './provisioning.processor';
import { ProvisioningService } from './provisioning.service';
import { ProvisioningSweeper } from './provisioning.sweeper';

/**
 * Organization provisioning on BullMQ (through @nestjs/bullmq), supervised by `@nestjs-reliability/jobs`. BullMQ
 * has connections of its own (never the service's ioredis client): the worker's wait for jobs with no retry limit
 * (`maxRetriesPerRequest: null`, as BullMQ requires), the queue's fail fast so a request never hangs on Redis.
 */
@Module({})
export class ProvisioningModule {
  static forRoot(config: AppConfig): DynamicModule {
    const connection = redisConnectionOptions(config);
    // The worker's settings come from the configuration, so @Processor is applied here rather than on the class.
    Processor(PROVISIONING_QUEUE, {
      connection: { ...connection, maxRetriesPerRequest: null },
      concurrency: config.jobs.concurrency,
      lockDuration: config.jobs.lockDurationMs,
      stalledInterval: config.jobs.stalledIntervalMs,
      // A job whose worker keeps dying (it may be what kills it) fails after this many recoveries.
      maxStalledCount: 5,
      // After a Redis error the worker waits this long before it tries to claim again (BullMQ's default: 15 s), so
      // it claims within about a second of Redis coming back.
      runRetryDelay: 1_000,
      autorun: false,
    })(ProvisioningProcessor);
    return {
      module: ProvisioningModule,
      imports: [
        BullModule.forRoot({ connection: { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 } }),
        BullModule.registerQueue({
          name: PROVISIONING_QUEUE,
          defaultJobOptions: {
            attempts: 10,
            backoff: { type: 'exponential', delay: 500 },
            removeOnComplete: { age: 24 * 3600, count: 100_000 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        }),
        JobsModule.forRoot({ isGlobal: true, correlationId: () => requestContext.getStore()?.reqId }),
        MongooseModule.forFeature([
          { name: Organization.name, schema: OrganizationSchema },
          { name: ProvisioningEffect.name, schema: ProvisioningEffectSchema },
        ]),
      ],
      providers: [ProvisioningService, ProvisioningProcessor, ProvisioningSweeper],
      exports: [ProvisioningService],
    };
  }
}
