/**
 * One check's result, shaped like @nestjs/terminus's `HealthIndicatorResult` (`{ [name]: { status, ...details } }`).
 * `degraded` (terminus 12) means still serving but impaired: reported, never failing readiness.
 * Not named `HealthCheckResult`: terminus exports that name for the answer of a whole health check.
 */
export type CheckResult = Record<string, { status: 'up' | 'degraded' | 'down'; [detail: string]: unknown }>;

/**
 * A check that takes part in readiness, registered through `HealthCheckRegistry.register`. A check that throws,
 * rejects or answers `down` counts as down; the thrown message (secrets redacted) is its reason.
 */
export interface HealthCheckDefinition {
  /** Key in the readiness body's `checks`, and the `check` label of `health_check_status`. Unique. */
  name: string;
  /** A critical check that is down makes readiness 503; a non-critical one is reported `degraded`. Default true. */
  critical?: boolean;
  /** Longest time the check may take before it counts as down. Default: the health module's `checkTimeoutMs`. */
  timeoutMs?: number;
  check(): Promise<CheckResult> | CheckResult;
}

/** Where packages add readiness checks; `@nestjs-reliability/health` provides it under `HEALTH_CHECK_REGISTRY`. */
export interface HealthCheckRegistry {
  register(definition: HealthCheckDefinition): void;
}

/** A hold on start-up; releasing it twice is harmless. */
export interface StartupHold {
  release(): void;
}

/**
 * `/health/startup` answers 503 while any hold is open. `@nestjs-reliability/health` provides it under
 * `STARTUP_GATE`; a package takes a hold for work that must finish before the instance counts as started.
 */
export interface StartupGate {
  hold(name: string): StartupHold;
}
