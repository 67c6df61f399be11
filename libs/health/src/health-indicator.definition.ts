import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A check that takes part in readiness. Libraries register theirs through `HealthRegistry.register`
 * (e.g. TSID's `tsid`, resilience's `circuit-breakers`); apps add their own ("can this instance claim work").
 */
export interface HealthIndicatorDefinition {
  /** Key in the readiness body's `checks`, and the `check` label of `health_check_status`. */
  name: string;
  /** A critical check that is down makes readiness 503; a non-critical one is reported `degraded`. Default true. */
  critical?: boolean;
  /** Longest time the check may take before it counts as down. */
  timeoutMs?: number;
  /** Builds the result with @nestjs/terminus's `HealthIndicatorService` (`check(name).up()` / `.down({...})`). */
  check(): Promise<HealthIndicatorResult> | HealthIndicatorResult;
}
