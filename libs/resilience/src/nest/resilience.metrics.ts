import type { Logger } from '@nestjs/common';
import type { MetricsService } from '@nestjs-reliability/metrics';
import type { Counter, Gauge } from 'prom-client';
import type { CallResult, CircuitState, ResilienceListener } from '../pipeline/resilience-listener';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 };
const RESULTS: readonly CallResult[] = ['success', 'failure', 'rejected', 'timeout', 'fallback'];

type Child = ReturnType<Counter<string>['labels']>;

/**
 * Turns policy events into `circuit_breaker_state`, `circuit_breaker_calls_total`, `retry_attempts_total` and one
 * log line per state change. Label children are bound once per breaker: a call costs a map lookup and an `inc()`.
 */
export class ResilienceMetrics implements ResilienceListener {
  private readonly calls = new Map<string, Record<CallResult, Child>>();
  private readonly retries = new Map<string, Child>();

  private readonly stateGauge: Gauge<'breaker'> | undefined;
  private readonly callCounter: Counter<'breaker' | 'result'> | undefined;
  private readonly retryCounter: Counter<'operation'> | undefined;

  constructor(
    metrics: MetricsService | undefined,
    private readonly logger: Logger,
  ) {
    this.stateGauge = metrics?.gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open.',
      labelNames: ['breaker'],
    });
    this.callCounter = metrics?.counter({
      name: 'circuit_breaker_calls_total',
      help: 'Calls through a circuit breaker by result (success, failure, rejected, timeout, fallback).',
      labelNames: ['breaker', 'result'],
    });
    this.retryCounter = metrics?.counter({
      name: 'retry_attempts_total',
      help: 'Retries made (attempts after the first) by operation.',
      labelNames: ['operation'],
    });
  }

  breakerCreated(breaker: string): void {
    this.stateGauge?.set({ breaker }, 0);
    const counter = this.callCounter;
    if (counter) {
      const children = {} as Record<CallResult, Child>;
      for (const result of RESULTS) children[result] = counter.labels(breaker, result);
      this.calls.set(breaker, children);
    }
  }

  breakerState(breaker: string, state: CircuitState, reason: string): void {
    this.stateGauge?.set({ breaker }, STATE_VALUE[state]);
    const message = `Circuit breaker "${breaker}" is now ${state}: ${reason}.`;
    if (state === 'open') this.logger.warn(message);
    else this.logger.log(message);
  }

  breakerCall(breaker: string, result: CallResult): void {
    this.calls.get(breaker)?.[result].inc();
  }

  retry(operation: string): void {
    const counter = this.retryCounter;
    if (counter === undefined) return;
    let child = this.retries.get(operation);
    if (child === undefined) this.retries.set(operation, (child = counter.labels(operation)));
    child.inc();
  }
}
