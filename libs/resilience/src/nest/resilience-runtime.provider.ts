import { Logger, type Provider } from '@nestjs/common';
import { METRICS_RECORDER, type MetricsRecorder } from '@nestjs-reliability/common';
import { ResilienceRuntime } from '../pipeline/resilience.runtime';
import { RESILIENCE_OPTIONS } from './resilience.module-definition';
import { ResilienceMetrics } from './resilience.metrics';
import type { ResilienceModuleOptions } from './resilience.options';

/** The application's runtime (breakers, budgets, bulkheads), with metrics when a `METRICS_RECORDER` is provided. Internal. */
export const resilienceRuntimeProvider: Provider<ResilienceRuntime> = {
  provide: ResilienceRuntime,
  inject: [RESILIENCE_OPTIONS, { token: METRICS_RECORDER, optional: true }],
  useFactory: (options: ResilienceModuleOptions, metrics?: MetricsRecorder): ResilienceRuntime => {
    const listener = new ResilienceMetrics(metrics, new Logger('Resilience'), () => runtime.breakers.list());
    const runtime: ResilienceRuntime = new ResilienceRuntime(options, listener);
    return runtime;
  },
};
