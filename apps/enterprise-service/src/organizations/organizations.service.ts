import {
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { isTsidUnavailableError, TsidService } from '@nestjs-reliability/tsid';
import { type Connection, ConnectionStates, type Model } from 'mongoose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isDuplicateKeyError } from '../connections/duplicate-key';
import { isMongoUnavailableError } from '../connections/mongo-unavailable';
import { rejectAfter } from '../connections/reject-after';
import { ProvisioningService } from '../provisioning/provisioning.service';
import type { CreateOrganizationDto } from './create-organization.dto';
import { IdempotencyKey } from './idempotency-key.schema';
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
    @InjectModel(IdempotencyKey.name) private readonly idempotencyKeys: Model<IdempotencyKey>,
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
   *
   * With an `idempotencyKey`, every request that carries it names one organization, however it is retried: after a
   * 503 whose write landed later, or side by side. Each is answered 201 with that organization as it is now.
   */
  async create(input: CreateOrganizationDto, idempotencyKey?: string): Promise<OrganizationView> {
    this.assertDatabaseAvailable();
    const id = idempotencyKey === undefined ? this.newId() : await this.idForKey(idempotencyKey, input.name);
    const organization = await this.insertOnce(id, input.name, idempotencyKey !== undefined);
    if (organization.status === 'provisioning') {
      await this.provisioning
        .enqueue(id)
        .catch((error: Error) =>
          this.logger.warn(
            { organizationId: id },
            `Provisioning job not enqueued now (${error.message}); the sweeper enqueues it once Redis answers`,
          ),
        );
    }
    return toView(organization);
  }

  /** The organization id `key` names: the one its first request stored, or a new one stored under it now. */
  private async idForKey(key: string, name: string): Promise<string> {
    const stored = () => this.bounded(this.idempotencyKeys.findById(key).lean().exec());
    // Read first: a retry needs no new TSID, so it is answered even while none can be issued.
    let first = await stored();
    if (!first) {
      const id = this.newId();
      try {
        await this.bounded(this.idempotencyKeys.create({ _id: key, organizationId: id, name }));
        return id;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // Another request stored the key in between.
      first = await stored();
      if (!first) throw new Error(`Idempotency key ${JSON.stringify(key)} was taken, then removed`);
    }
    if (first.name !== name) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'idempotency key reused',
        message: `Idempotency-Key ${JSON.stringify(key)} was sent before with a different body.`,
      });
    }
    return first.organizationId;
  }

  /**
   * Stores organization `id`. With `readBackIfStored` (an idempotency key named it) an earlier request may have
   * stored it already: that one is read back. Otherwise a taken id is an error, never someone else's organization.
   */
  private async insertOnce(
    id: string,
    name: string,
    readBackIfStored: boolean,
  ): Promise<Organization & { _id: string }> {
    try {
      return (await this.bounded(this.organizations.create({ _id: id, name }))).toObject();
    } catch (error) {
      if (!readBackIfStored || !isDuplicateKeyError(error)) throw error;
      const stored = await this.bounded(this.organizations.findById(id).lean().exec());
      if (!stored) throw error;
      return stored;
    }
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
