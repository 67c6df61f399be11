/**
 * Injection tokens through which the packages find each other, each `@Optional()` on the consuming side.
 * `Symbol.for` keeps them equal across copies of this package, so two installed versions still meet.
 */
export const SHUTDOWN_COORDINATOR = Symbol.for('@nestjs-reliability/shutdown-coordinator');
export const HEALTH_CHECK_REGISTRY = Symbol.for('@nestjs-reliability/health-check-registry');
export const STARTUP_GATE = Symbol.for('@nestjs-reliability/startup-gate');
export const METRICS_RECORDER = Symbol.for('@nestjs-reliability/metrics-recorder');
export const IN_FLIGHT_REQUESTS = Symbol.for('@nestjs-reliability/in-flight-requests');
