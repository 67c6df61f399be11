import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

export const ORGANIZATION_STATUSES = ['provisioning', 'active'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

@Schema({ collection: 'organizations', timestamps: true, versionKey: false })
export class Organization {
  /** A TSID (13-character text): time-ordered and unique across instances without asking MongoDB. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true, maxlength: 200 })
  name!: string;

  /** `provisioning` from creation until its provisioning job has taken effect, then `active`. */
  @Prop({ type: String, enum: ORGANIZATION_STATUSES, default: 'provisioning', index: true })
  status!: OrganizationStatus;

  @Prop({ type: Date })
  provisionedAt?: Date;

  createdAt?: Date;
  updatedAt?: Date;
}

export type OrganizationDocument = HydratedDocument<Organization>;
export const OrganizationSchema = SchemaFactory.createForClass(Organization);
