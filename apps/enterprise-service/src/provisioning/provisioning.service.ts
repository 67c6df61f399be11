import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { JobsService } from '@nestjs-reliability/jobs';
import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../connections/duplicate-key';
import { rejectAfter } from '../connections/reject-after';
import { Organization } from '../organizations/organization.schema';
import { PROVISIONING_QUEUE, provisioningJobId, type ProvisioningJobData } from './provisioning.constants';
import { ProvisioningEffect } from './provisioning-effect.schema';

/** Longest a request waits for its enqueue (Redis unreachable, or not answering); the sweeper enqueues it later. */
const ENQUEUE_TIMEOUT_MS = 2_000;

export type ProvisioningOutcome = 'applied' | 'already applied' | 'organization gone';

@Injectable()
export class ProvisioningService {
  constructor(
    @InjectQueue(PROVISIONING_QUEUE) private readonly queue: Queue<ProvisioningJobData>,
    @InjectModel(Organization.name) private readonly organizations: Model<Organization>,
    @InjectModel(ProvisioningEffect.name) private readonly effects: Model<ProvisioningEffect>,
    private readonly jobs: JobsService,
  ) {}

  /**
   * Adds the organization's provisioning job: one Redis round trip, bounded. The job id comes from the
   * organization's, so adding it again (the sweeper, a retry) while it exists adds nothing.
   */
  async enqueue(organizationId: string): Promise<void> {
    await this.bounded(
      this.jobs.add(this.queue, 'provision', { organizationId }, { jobId: provisioningJobId(organizationId) }),
    );
  }

  /**
   * For the sweeper: makes sure the job of an organization still provisioning will run. Adds it when Redis has none.
   * A job that failed for good (its attempts spent during a long outage, say) keeps its id, so adding it again would
   * add nothing: it is retried instead, with its attempts counted afresh.
   */
  async ensureQueued(organizationId: string): Promise<'added' | 'retried' | 'pending'> {
    const job = await this.bounded(this.queue.getJob(provisioningJobId(organizationId)));
    if (job === undefined) {
      await this.enqueue(organizationId);
      return 'added';
    }
    if (!(await this.bounded(job.isFailed()))) return 'pending';
    try {
      await this.bounded(job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }));
    } catch (error) {
      // Another instance's sweeper retried it first.
      if (await this.bounded(job.isFailed())) throw error;
      return 'pending';
    }
    return 'retried';
  }

  /** A Redis operation, rejected after `ENQUEUE_TIMEOUT_MS` (Redis unreachable, or not answering). */
  private bounded<T>(operation: Promise<T>): Promise<T> {
    return rejectAfter(
      operation,
      ENQUEUE_TIMEOUT_MS,
      () => new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`),
    );
  }

  /**
   * The provisioning's effect, applied once however often the job runs: the effect is a write keyed by the job's
   * idempotency key (a second one fails on the unique `_id` and reads the first back), then the organization turns
   * `active` with the effect's time. Both steps may be repeated safely, so a crash between them is repaired by the
   * next execution.
   */
  async applyOnce(organizationId: string, idempotencyKey: string, execution: number): Promise<ProvisioningOutcome> {
    const organization = await this.organizations.exists({ _id: organizationId });
    if (!organization) return 'organization gone';
    let provisionedAt = new Date();
    let outcome: ProvisioningOutcome = 'applied';
    try {
      await this.effects.create({ _id: idempotencyKey, organizationId, provisionedAt, execution });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await this.effects.findById(idempotencyKey).lean().exec();
      if (!first) throw error;
      provisionedAt = first.provisionedAt;
      outcome = 'already applied';
    }
    await this.organizations.updateOne(
      { _id: organizationId, status: 'provisioning' },
      { $set: { status: 'active', provisionedAt } },
    );
    return outcome;
  }
}
