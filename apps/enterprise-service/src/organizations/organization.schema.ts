import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

@Schema({ collection: 'organizations', timestamps: true, versionKey: false })
export class Organization {
  /** A TSID (13-character text): time-ordered and unique across instances without asking MongoDB. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true, maxlength: 200 })
  name!: string;

  createdAt?: Date;
  updatedAt?: Date;
}

export type OrganizationDocument = HydratedDocument<Organization>;
export const OrganizationSchema = SchemaFactory.createForClass(Organization);
