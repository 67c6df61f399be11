import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { METRICS_RECORDER, type MetricsRecorder } from '@nestjs-reliability/common';
import type { CircuitState } from '../pipeline/resilience-listener';
import { ResilienceRuntime, type MethodSpec } from '../pipeline/resilience.runtime';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { setDefaultRuntime } from './default-runtime';
import { RESILIENCE_OPTIONS } from './resilience.module-definition';
import { ResilienceMetrics } from './resilience.metrics';
import type { ResilienceModuleOptions } from './resilience.options';

/** The innermost step of `execute`: the function to run is the call's only argument. */
function callWithSignal(this: unknown, ...args: unknown[]): unknown {
  return (args[0] as (signal: AbortSignal | undefined) => unknown)(currentAbortSignal());
}

/**
 * The policies without decorators: `execute('upstream', (signal) => fetch(url, { signal }))` runs a function
 * under the named policy set of `ResilienceModule.forRoot({ policies })`, composed in the same order as the
 * decorators. Also the application's breakers, for inspection.
 */
@Injectable()
export class ResilienceService implements OnModuleInit, OnModuleDestroy {
  readonly runtime: ResilienceRuntime;

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    const listener = new ResilienceMetrics(metrics, new Logger('Resilience'), () => this.runtime.breakers.list());
    this.runtime = new ResilienceRuntime(options, listener);
  }

  onModuleInit(): void {
    setDefaultRuntime(this.runtime);
    // Validate every named policy at start-up, not at its first call.
    for (const [name, spec] of Object.entries(this.runtime.config.policies ?? {})) this.compose(name, spec);
  }

  onModuleDestroy(): void {
    setDefaultRuntime(undefined, this.runtime);
    this.runtime.shutdown();
  }

  /** Runs `fn` under the policy named `policy`; `fn` receives the attempt's `AbortSignal` when a timeout applies. */
  execute<T>(policy: string, fn: (signal: AbortSignal | undefined) => T | Promise<T>): Promise<T> {
    const spec = this.runtime.config.policies?.[policy];
    if (spec === undefined) {
      return Promise.reject(
        new Error(`No resilience policy named "${policy}"; define it in ResilienceModule.forRoot({ policies }).`),
      );
    }
    return this.compose(policy, spec)(undefined, [fn]) as Promise<T>;
  }

  /** State of the breaker named `name`, or undefined before anything has used it. */
  breakerState(name: string): CircuitState | undefined {
    return this.runtime.breaker(name)?.state;
  }

  private compose(name: string, spec: MethodSpec) {
    return this.runtime.compose(
      `policy:${name}`,
      { ...spec, circuitBreaker: spec.circuitBreaker && this.breakerSpec(name, spec) },
      callWithSignal,
    );
  }

  private breakerSpec(name: string, spec: MethodSpec): MethodSpec['circuitBreaker'] {
    const breaker = spec.circuitBreaker;
    return typeof breaker === 'object' ? { name, ...breaker } : breaker;
  }
}
