import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A client's `Idempotency-Key` for `POST /organizations`, stored before the organization: its `_id` is the key, so
 * a retry or a concurrent request with the same key finds the organization id the first request chose instead of
 * creating a second organization. Kept for good: a key names one organization.
 */
@Schema({ collection: 'organization_idempotency_keys', versionKey: false })
export class IdempotencyKey {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  organizationId!: string;

  /** The request's body, which a retry must repeat. */
  @Prop({ type: String, required: true })
  name!: string;
}

export const IdempotencyKeySchema = SchemaFactory.createForClass(IdempotencyKey);
