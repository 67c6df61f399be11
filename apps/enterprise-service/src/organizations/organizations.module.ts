import { type DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import type { AppConfig } from '../config/app-config';
import { ProvisioningModule } from '../provisioning/provisioning.module';
import { IdempotencyKey, IdempotencyKeySchema } from './idempotency-key.schema';
import { Organization, OrganizationSchema } from './organization.schema';
import { OrganizationsCountGauge } from './organizations-count.gauge';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

@Module({})
export class OrganizationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: OrganizationsModule,
      imports: [
        MongooseModule.forFeature([
          { name: Organization.name, schema: OrganizationSchema },
          { name: IdempotencyKey.name, schema: IdempotencyKeySchema },
        ]),
        ProvisioningModule.forRoot(config),
      ],
      controllers: [OrganizationsController],
      providers: [OrganizationsService, OrganizationsCountGauge],
    };
  }
}
