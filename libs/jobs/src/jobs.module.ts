import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass } from './jobs.module-definition';
import { JobsService } from './jobs.service';

/**
 * `JobsModule.forRoot({ correlationId: () => currentRequestId() })` next to `BullModule.forRoot(...)`: the
 * application's `@nestjs/bullmq` workers and queues get shutdown, readiness, recovery, metrics and correlation.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule extends ConfigurableModuleClass {}
