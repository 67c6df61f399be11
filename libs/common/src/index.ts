export { InvalidOptionError, isInvalidOptionError } from './invalid-option.error';
export { checkInteger, checkNumber, checkOneOf } from './option-checks';
export { ExitCode } from './exit-codes';
export { currentAbortSignal, runWithAbortSignal } from './abort-context';
export { decoratedMethod, replaceMethod } from './method-wrapper';
export type { AnyMethod } from './method-wrapper';
export { HEALTH_CHECK_REGISTRY, METRICS_RECORDER, SHUTDOWN_COORDINATOR, STARTUP_GATE } from './integration.tokens';
export type { ShutdownCoordinator } from './shutdown-coordinator';
export type {
  HealthCheckDefinition,
  HealthCheckRegistry,
  HealthCheckResult,
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
