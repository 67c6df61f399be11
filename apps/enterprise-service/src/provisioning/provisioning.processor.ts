import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobHost, type JobContext } from '@nestjs-reliability/jobs';
import type { Job } from 'bullmq';
import { setTimeout as delay } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ProvisioningJobData } from './provisioning.constants';
import { ProvisioningService } from './provisioning.service';

/**
 * Runs a new organization's provisioning: `PROVISION_MS` of work, then its effect, applied once whatever the number
 * of executions (BullMQ runs a job at least once). Bound to its queue with `@Processor` in `ProvisioningModule`,
 * whose worker options come from the configuration.
 */
@Injectable()
export class ProvisioningProcessor extends JobHost<ProvisioningJobData, string> {
  private readonly logger = new Logger('Provisioning');

  constructor(
    private readonly provisioning: ProvisioningService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  async handle(job: Job<ProvisioningJobData>, context: JobContext): Promise<string> {
    const { organizationId } = job.data;
    this.logger.log({ organizationId, execution: context.execution }, 'Provisioning started');
    // The work itself; stops early when this execution no longer owns the job.
    await delay(this.config.jobs.provisionMs, undefined, { signal: context.signal });
    const outcome = await this.provisioning.applyOnce(organizationId, context.idempotencyKey, context.execution);
    this.logger.log({ organizationId, execution: context.execution, outcome }, 'Provisioning finished');
    return outcome;
  }
}
