import { Injectable } from '@nestjs/common';

/**
 * PUBLIC API CONTRACT (owned by libs/health): `/health/startup` answers 503 until the application has
 * bootstrapped and every hold taken here is released. A library takes a hold for work that must finish
 * before the instance counts as started (TSID: node ID leased; app: dependencies tried once).
 */
@Injectable()
export class StartupGate {
  private readonly pending = new Set<string>();

  hold(name: string): { release(): void } {
    this.pending.add(name);
    return { release: () => this.pending.delete(name) };
  }

  get pendingHolds(): string[] {
    return [...this.pending];
  }
}
