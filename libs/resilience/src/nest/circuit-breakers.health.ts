import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { type CheckResult, HEALTH_CHECK_REGISTRY, type HealthCheckRegistry } from '@nestjs-reliability/common';
import { RESILIENCE_OPTIONS } from './resilience.module-definition';
import type { ResilienceModuleOptions } from './resilience.options';
import { ResilienceRuntime } from '../pipeline/resilience.runtime';
import { RESILIENCE_DEFAULTS } from '../resilience.defaults';

/**
 * Readiness check `circuit-breakers`: down, listing them, while any breaker is open or half-open. Registered
 * non-critical by default, so readiness reports it `degraded` and the instance keeps serving (fallbacks work
 * better than a pod taken out of rotation because a dependency is down).
 */
@Injectable()
export class CircuitBreakersHealth implements OnModuleInit {
  private readonly name: string;

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    private readonly runtime: ResilienceRuntime,
    @Optional() @Inject(HEALTH_CHECK_REGISTRY) private readonly registry?: HealthCheckRegistry,
  ) {
    this.name = options.health?.name ?? RESILIENCE_DEFAULTS.health.name;
  }

  onModuleInit(): void {
    if (this.registry === undefined || !(this.options.health?.enabled ?? RESILIENCE_DEFAULTS.health.enabled)) return;
    this.registry.register({
      name: this.name,
      critical: this.options.health?.critical ?? RESILIENCE_DEFAULTS.health.critical,
      check: () => this.check(),
    });
  }

  check(): CheckResult {
    const open: string[] = [];
    const halfOpen: string[] = [];
    const breakers = this.runtime.breakers.list();
    for (const breaker of breakers) {
      const state = breaker.state;
      if (state === 'open') open.push(breaker.name);
      else if (state === 'half-open') halfOpen.push(breaker.name);
    }
    return open.length + halfOpen.length === 0
      ? { [this.name]: { status: 'up', breakers: breakers.length } }
      : { [this.name]: { status: 'down', open, halfOpen } };
  }
}
