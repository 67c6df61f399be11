import type { Logger } from '@nestjs/common';
import type { CounterMetric, GaugeMetric, MetricsRecorder } from '@nestjs-reliability/common';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy';
import type { CallResult, CircuitState, ResilienceListener } from '../pipeline/resilience-listener';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 };
const RESULTS: readonly CallResult[] = ['success', 'failure', 'rejected', 'timeout', 'fallback'];

type Child = ReturnType<CounterMetric<'operation'>['labels']>;

/**
 * `circuit_breaker_state` and one log line per state change (on transition), `retry_attempts_total` (on retry),
 * and `circuit_breaker_calls_total`, read from each breaker's plain counters at scrape time: the call path never
 * touches prom-client, whose labelled `inc()` hashes the labels on every call.
 */
export class ResilienceMetrics implements ResilienceListener {
  private readonly retries = new Map<string, Child>();
  private readonly stateGauge: GaugeMetric<'breaker'> | undefined;
  private readonly retryCounter: CounterMetric<'operation'> | undefined;

  constructor(
    metrics: MetricsRecorder | undefined,
    private readonly logger: Logger,
    breakers: () => readonly CircuitBreakerPolicy[],
  ) {
    this.stateGauge = metrics?.gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open.',
      labelNames: ['breaker'],
    });
    metrics?.counter({
      name: 'circuit_breaker_calls_total',
      help: 'Calls through a circuit breaker by result (success, failure, rejected, timeout, fallback).',
      labelNames: ['breaker', 'result'],
      collect(this: CounterMetric<'breaker' | 'result'>) {
        this.reset();
        for (const breaker of breakers()) {
          for (const result of RESULTS) this.inc({ breaker: breaker.name, result }, breaker.calls[result]);
        }
      },
    });
    this.retryCounter = metrics?.counter({
      name: 'retry_attempts_total',
      help: 'Retries made (attempts after the first) by operation.',
      labelNames: ['operation'],
    });
  }

  breakerCreated(breaker: string): void {
    this.stateGauge?.set({ breaker }, 0);
  }

  breakerState(breaker: string, state: CircuitState, reason: string): void {
    this.stateGauge?.set({ breaker }, STATE_VALUE[state]);
    const message = `Circuit breaker "${breaker}" is now ${state}: ${reason}.`;
    if (state === 'open') this.logger.warn(message);
    else this.logger.log(message);
  }

  retry(operation: string): void {
    const counter = this.retryCounter;
    if (counter === undefined) return;
    let child = this.retries.get(operation);
    if (child === undefined) this.retries.set(operation, (child = counter.labels({ operation })));
    child.inc();
  }
}
