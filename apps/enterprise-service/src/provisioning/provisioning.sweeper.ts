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
 * Enqueues again the job of every organization still `provisioning` after the grace period: the instance that
 * created one may have died between the insert and the enqueue. Adding is idempotent (the job id is the
 * organization's, and the effect is applied once), so sweeping from several instances is harmless.
 */
@Injectable()
export class ProvisioningSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ProvisioningSweeper');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

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
    try {
      const stale = await this.organizations
        .find({ status: 'provisioning', createdAt: { $lt: new Date(Date.now() - GRACE_MS) } }, { _id: 1 })
        .limit(BATCH)
        .lean()
        .exec();
      for (const { _id } of stale) await this.provisioning.enqueue(_id);
      if (stale.length > 0)
        this.logger.log(
          `${stale.length} organization(s) still provisioning after ${GRACE_MS} ms: their jobs are enqueued (again)`,
        );
    } catch (error) {
      this.logger.warn(`Sweeping organizations still provisioning failed: ${(error as Error).message}`);
    }
  }
}
