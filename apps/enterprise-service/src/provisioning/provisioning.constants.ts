export const PROVISIONING_QUEUE = 'provisioning';

/** One job per organization: its id is derived from the organization's, so enqueueing twice adds it once. */
export function provisioningJobId(organizationId: string): string {
  return `org-${organizationId}`;
}

export interface ProvisioningJobData {
  organizationId: string;
}
