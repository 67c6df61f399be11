export { InvalidOptionError, isInvalidOptionError } from './invalid-option.error';
export {
  checkInteger,
  checkKeyPrefix,
  checkNumber,
  checkOneOf,
  checkSecretToken,
  checkUrl,
  maskCredentials,
} from './option-checks';
export { ExitCode } from './exit-codes';
export { currentAbortSignal, runWithAbortSignal } from './abort-context';
export { decoratedMethod, replaceMethod } from './method-wrapper';
export {
  HEALTH_CHECK_REGISTRY,
  IN_FLIGHT_REQUESTS,
  METRICS_RECORDER,
  SHUTDOWN_COORDINATOR,
  STARTUP_GATE,
} from './integration.tokens';
export type { DrainableWork, InFlightRequests, ShutdownCoordinator } from './shutdown-coordinator';
export type { AnyMethod } from './method-wrapper';
export type {
  CheckResult,
  HealthCheckDefinition,
  HealthCheckRegistry,
  StartupGate,
  StartupHold,
} from './health-contributions';
export type {
  CounterMetric,
  GaugeMetric,
  HistogramMetric,
  Labels,
  MetricConfig,
  MetricsRecorder,
} from './metrics-recorder';
export { EventLoopLagMonitor } from './event-loop-lag.monitor';
export type { EventLoopLagSummary } from './event-loop-lag.monitor';
