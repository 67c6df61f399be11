import { Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { isTsidUnavailableError, TsidService } from '@nestjs-reliability/tsid';
import { type Connection, ConnectionStates, type Model } from 'mongoose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isMongoUnavailableError } from '../connections/mongo-unavailable';
import { rejectAfter } from '../connections/reject-after';
import { ProvisioningService } from '../provisioning/provisioning.service';
import type { CreateOrganizationDto } from './create-organization.dto';
import { Organization, type OrganizationStatus } from './organization.schema';

export interface OrganizationView {
  id: string;
  name: string;
  status: OrganizationStatus;
  /** ISO 8601, once active. */
  provisionedAt?: string;
  createdAt?: string;
}

@Injectable()
export class OrganizationsService {
  private readonly logger = new Logger('Organizations');

  constructor(
    @InjectModel(Organization.name) private readonly organizations: Model<Organization>,
    @InjectConnection() private readonly connection: Connection,
    private readonly tsid: TsidService,
    private readonly provisioning: ProvisioningService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the organization as `provisioning`, then enqueues its provisioning job. The stored organization is the
   * durable record of the intent (an outbox): when the job cannot be enqueued now (Redis unreachable, or not
   * answering within the bound) the answer is still 201, and the sweeper enqueues the job once Redis answers.
   * Removing the organization instead would race with a job Redis did accept though its answer came too late,
   * leaving an effect applied for an organization the client was told was refused.
   */
  async create(input: CreateOrganizationDto): Promise<OrganizationView> {
    this.assertDatabaseAvailable();
    const created = await this.bounded(this.organizations.create({ _id: this.newId(), name: input.name }));
    await this.provisioning
      .enqueue(created._id)
      .catch((error: Error) =>
        this.logger.warn(
          { organizationId: created._id },
          `Provisioning job not enqueued now (${error.message}); the sweeper enqueues it once Redis answers`,
        ),
      );
    return toView(created.toObject());
  }

  async findById(id: string): Promise<OrganizationView> {
    this.assertDatabaseAvailable();
    const found = await this.bounded(this.organizations.findById(id).lean().exec());
    if (!found) throw new NotFoundException(`Organization ${id} does not exist.`);
    return toView(found);
  }

  /**
   * A stalled MongoDB (accepting, never answering) would hold the request until the socket timeout: answer 503
   * after `operationTimeoutMs` instead. The operation itself is not cancelled, so a write answered 503 this way may
   * still be applied; a lost connection or no selectable server is a 503 too, never a 500.
   */
  private async bounded<T>(operation: Promise<T>): Promise<T> {
    const { operationTimeoutMs } = this.config.mongodb;
    try {
      return await rejectAfter(
        operation,
        operationTimeoutMs,
        () =>
          new ServiceUnavailableException({
            statusCode: 503,
            error: 'database timeout',
            message: `MongoDB did not answer within ${operationTimeoutMs} ms.`,
          }),
      );
    } catch (error) {
      if (isMongoUnavailableError(error)) throw databaseUnavailable();
      throw error;
    }
  }

  private newId(): string {
    try {
      return this.tsid.generate();
    } catch (error) {
      if (isTsidUnavailableError(error))
        throw new ServiceUnavailableException({ statusCode: 503, error: 'ids unavailable' });
      throw error;
    }
  }

  // Commands are not buffered while MongoDB is away: answer 503 at once rather than hang or 500.
  private assertDatabaseAvailable(): void {
    if (this.connection.readyState !== ConnectionStates.connected) {
      throw databaseUnavailable();
    }
  }
}

function databaseUnavailable(): ServiceUnavailableException {
  return new ServiceUnavailableException({
    statusCode: 503,
    error: 'database unavailable',
    message: 'MongoDB cannot be reached; retry later.',
  });
}

function toView(document: Organization & { _id: unknown }): OrganizationView {
  return {
    id: String(document._id),
    name: document.name,
    status: document.status,
    provisionedAt: document.provisionedAt?.toISOString(),
    createdAt: document.createdAt?.toISOString(),
  };
}
