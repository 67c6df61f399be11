import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The record of an organization's provisioning, written once: its `_id` is the provisioning job's idempotency key,
 * so a second execution of the job (a retry, a recovery after a crash, a stale worker that woke up) hits the unique
 * `_id` instead of provisioning again, and reads back the first execution's result.
 */
@Schema({ collection: 'provisioning_effects', versionKey: false })
export class ProvisioningEffect {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  organizationId!: string;

  @Prop({ type: Date, required: true })
  provisionedAt!: Date;

  /** Which execution of the job applied it (1 for the first). */
  @Prop({ type: Number, required: true })
  execution!: number;
}

export const ProvisioningEffectSchema = SchemaFactory.createForClass(ProvisioningEffect);
