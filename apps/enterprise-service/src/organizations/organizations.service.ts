import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { isTsidUnavailableError, TsidService } from '@nestjs-reliability/tsid';
import { type Connection, ConnectionStates, type Model } from 'mongoose';
import type { CreateOrganizationDto } from './create-organization.dto';
import { Organization } from './organization.schema';

export interface OrganizationView {
  id: string;
  name: string;
  createdAt?: string;
}

@Injectable()
export class OrganizationsService {
  constructor(
    @InjectModel(Organization.name) private readonly organizations: Model<Organization>,
    @InjectConnection() private readonly connection: Connection,
    private readonly tsid: TsidService,
  ) {}

  async create(input: CreateOrganizationDto): Promise<OrganizationView> {
    this.assertDatabaseAvailable();
    const created = await this.organizations.create({ _id: this.newId(), name: input.name });
    return toView(created.toObject());
  }

  async findById(id: string): Promise<OrganizationView> {
    this.assertDatabaseAvailable();
    const found = await this.organizations.findById(id).lean().exec();
    if (!found) throw new NotFoundException(`Organization ${id} does not exist.`);
    return toView(found);
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
      throw new ServiceUnavailableException({ statusCode: 503, error: 'database unavailable' });
    }
  }
}

function toView(document: Organization & { _id: unknown }): OrganizationView {
  return { id: String(document._id), name: document.name, createdAt: document.createdAt?.toISOString() };
}
