import type mongoose from 'mongoose';
import type { Incarnation } from '../tsid/fleet';

/** What the instances' logs and MongoDB say about the provisioning jobs of a run. */
export interface ProvisioningFigures {
  organizations: number;
  stillProvisioning: number;
  executions: number;
  effects: number;
  /** Organizations with more than one effect recorded. */
  doubleEffects: string[];
  /** Organizations whose job ran more than once. */
  reExecuted: number;
  recoveries: number;
  handedBack: number;
  longestWaitMs: number;
}

export async function provisioningFigures(db: mongoose.mongo.Db, history: Incarnation[]): Promise<ProvisioningFigures> {
  const organizations = await db.collection('organizations').find({}).toArray();
  const effects = await db.collection('provisioning_effects').find({}).toArray();
  const lines = history.flatMap(({ service }) => service.logs());
  const started = lines.filter((line) => line.msg === 'Provisioning started');
  const perOrganization = new Map<string, number>();
  for (const line of started) {
    const id = String(line.organizationId);
    perOrganization.set(id, (perOrganization.get(id) ?? 0) + 1);
  }
  const effectsPerOrganization = new Map<string, number>();
  for (const effect of effects) {
    const id = String(effect.organizationId);
    effectsPerOrganization.set(id, (effectsPerOrganization.get(id) ?? 0) + 1);
  }
  const waits = organizations
    .filter((o) => o.provisionedAt)
    .map((o) => (o.provisionedAt as Date).getTime() - (o.createdAt as Date).getTime());
  return {
    organizations: organizations.length,
    stillProvisioning: organizations.filter((o) => o.status !== 'active').length,
    executions: started.length,
    effects: effects.length,
    doubleEffects: [...effectsPerOrganization].filter(([, n]) => n > 1).map(([id]) => id),
    reExecuted: [...perOrganization.values()].filter((n) => n > 1).length,
    recoveries: lines.filter((line) => String(line.msg).startsWith('Recovered job')).length,
    handedBack: lines.filter((line) => String(line.msg).startsWith('Handed back job')).length,
    longestWaitMs: Math.max(0, ...waits),
  };
}
