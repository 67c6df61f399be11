import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { currentAbortSignal } from '@nestjs-reliability/common';
import type { CircuitState } from '../pipeline/resilience-listener';
import { ResilienceRuntime, type Invoke } from '../pipeline/resilience.runtime';

/** The innermost step of `execute`: the function to run is the call's only argument. */
function callWithSignal(this: unknown, ...args: unknown[]): unknown {
  return (args[0] as (signal: AbortSignal | undefined) => unknown)(currentAbortSignal());
}

/**
 * The policies without decorators: `execute('upstream', (signal) => fetch(url, { signal }))` runs a function
 * under the named policy set of `ResilienceModule.forRoot({ policies })`, composed in the same order as the
 * decorators. Also the state of the application's breakers, for inspection.
 */
@Injectable()
export class ResilienceService implements OnModuleInit, OnModuleDestroy {
  private readonly policies = new Map<string, Invoke>();

  /** @internal Nest constructs it. */
  constructor(private readonly runtime: ResilienceRuntime) {}

  onModuleInit(): void {
    // Validate every named policy at start-up, not at its first call.
    for (const name of Object.keys(this.runtime.config?.policies ?? {})) this.policy(name);
  }

  onModuleDestroy(): void {
    this.runtime.shutdown();
  }

  /** Runs `fn` under the policy named `policy`; `fn` receives the attempt's `AbortSignal` when a timeout applies. */
  execute<T>(policy: string, fn: (signal: AbortSignal | undefined) => T | Promise<T>): Promise<T> {
    const invoke = this.policy(policy);
    if (invoke === undefined) {
      const defined = Object.keys(this.runtime.config?.policies ?? {}).join(', ') || 'none';
      return Promise.reject(
        new Error(
          `No resilience policy named "${policy}" (defined: ${defined}); define it in ResilienceModule.forRoot({ policies }).`,
        ),
      );
    }
    return invoke(undefined, [fn]) as Promise<T>;
  }

  /** State of the breaker named `name` (or of a method's own breaker, by its `Class.method` label), once used. */
  breakerState(name: string): CircuitState | undefined {
    return this.runtime.breaker(name)?.state;
  }

  /** The composed call of policy `name`; its breaker is shared under the policy's name. */
  private policy(name: string): Invoke | undefined {
    let invoke = this.policies.get(name);
    const policies = this.runtime.config?.policies ?? {};
    if (invoke !== undefined || !Object.hasOwn(policies, name)) return invoke;
    const spec = policies[name];
    const breaker = spec.circuitBreaker && { name, ...spec.circuitBreaker };
    invoke = this.runtime.compose(spec, `policy:${name}`, { ...spec, circuitBreaker: breaker }, callWithSignal);
    this.policies.set(name, invoke);
    return invoke;
  }
}
