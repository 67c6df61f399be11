import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { type Connection, ConnectionStates, type Model } from 'mongoose';
import { Organization } from '../organizations/organization.schema';
import { ProvisioningService } from './provisioning.service';

/** An organization still provisioning after this long may have lost its job (its instance died before enqueueing). */
const GRACE_MS = 10_000;
const INTERVAL_MS = 10_000;
/** The first sweep comes soon after start: an instance restarted in a crash loop may never live a full interval. */
const FIRST_SWEEP_MS = 1_000;
const BATCH = 500;

/**
 * Makes sure every organization still `provisioning` after the grace period has a job that will run: the instance
 * that created one may have died between the insert and the enqueue, or Redis was away (the organization is the
 * outbox of its job, see OrganizationsService.create), or its job failed for good. Adding is idempotent (the job id
 * is the organization's, and the effect is applied once), so sweeping from several instances is harmless.
 */
@Injectable()
export class ProvisioningSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ProvisioningSweeper');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last `_id` of the previous sweep's page; '' to start from the first. */
  private after = '';

  constructor(
    @InjectModel(Organization.name) private readonly organizations: Model<Organization>,
    @InjectConnection() private readonly connection: Connection,
    private readonly provisioning: ProvisioningService,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(FIRST_SWEEP_MS);
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.sweep().finally(() => this.schedule(INTERVAL_MS)), delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.connection.readyState !== ConnectionStates.connected) return;
    const outcomes = { added: 0, retried: 0 };
    try {
      // A page per sweep in `_id` order (TSIDs: creation order), resumed where the last one ended: however many
      // organizations are stuck, each is visited in turn.
      const stale = await this.organizations
        .find(
          { status: 'provisioning', createdAt: { $lt: new Date(Date.now() - GRACE_MS) }, _id: { $gt: this.after } },
          { _id: 1 },
        )
        .sort({ _id: 1 })
        .limit(BATCH)
        .lean()
        .exec();
      this.after = stale.length < BATCH ? '' : stale[stale.length - 1]._id;
      for (const { _id } of stale) {
        const outcome = await this.provisioning.ensureQueued(_id);
        if (outcome !== 'pending') outcomes[outcome]++;
      }
    } catch (error) {
      this.logger.warn(`Sweeping organizations still provisioning failed: ${(error as Error).message}`);
    } finally {
      if (outcomes.added + outcomes.retried > 0)
        this.logger.log(
          `Organizations still provisioning after ${GRACE_MS} ms: ${outcomes.added} job(s) added, ` +
            `${outcomes.retried} failed job(s) retried`,
        );
    }
  }
}
