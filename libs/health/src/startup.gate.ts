import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { StartupGate as StartupGateContract, StartupHold } from '@nestjs-reliability/common';

/**
 * `/health/startup` answers 503 until the application has
 * bootstrapped and every hold taken here is released. A library takes a hold for work that must finish
 * before the instance counts as started (TSID: node ID leased; app: dependencies tried once).
 * Start-up happens once: after it is complete, new holds no longer turn the probe back to 503.
 */
@Injectable()
export class StartupGate implements StartupGateContract, OnApplicationBootstrap {
  private readonly pending = new Map<symbol, string>();
  private bootstrapped = false;
  private started = false;

  hold(name: string): StartupHold {
    const token = Symbol(name);
    this.pending.set(token, name);
    return { release: () => this.pending.delete(token) };
  }

  /** Names of the holds not yet released (a name appears once per hold). */
  get pendingHolds(): string[] {
    return [...this.pending.values()];
  }

  /** True once the application has bootstrapped with no hold pending; stays true from then on. */
  get isStarted(): boolean {
    this.started ||= this.bootstrapped && this.pending.size === 0;
    return this.started;
  }

  onApplicationBootstrap(): void {
    this.bootstrapped = true;
  }
}
