import type { ResilienceConfig } from '../pipeline/resilience.runtime';

export interface ResilienceModuleOptions extends ResilienceConfig {
  /** The readiness check listing open breakers (`degraded` while any is open). */
  health?: {
    /** Default true (when `HealthRegistry` is available). */
    enabled?: boolean;
    /** Check name. Default `circuit-breakers`. */
    name?: string;
    /** When true, an open breaker makes readiness fail. Default false: degraded, still ready. */
    critical?: boolean;
  };
}
