import { EventEmitter } from 'node:events';
import OpossumBreaker from 'opossum';
import { BrokenCircuitError, isBrokenCircuitError } from '../errors/broken-circuit.error';
import { isBulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { isCallTimeoutError } from '../errors/call-timeout.error';
import type { CallResult, CircuitState, ResilienceListener } from '../pipeline/resilience-listener';
import type { BreakerStrategy } from './breaker-strategy';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker.options';

const unused = () => Promise.resolve();

/**
 * A circuit breaker whose state machine is an opossum `CircuitBreaker`: opossum holds the state, runs the unref'd
 * reset timer that moves open → half-open, and emits the transitions. The call path is ours, because opossum's
 * `fire()` admits a single half-open probe, closes on the first success, pushes every call's latency into an
 * array (heap grows with call rate) and costs ~0.7 µs per call even with statistics off. We decide when to open
 * (count or rate rule), admit `halfOpenMaxCalls` probes and close after `successThreshold` successes, and drive
 * opossum with `open()` / `close()`.
 */
export class CircuitBreakerPolicy {
  private readonly circuit: OpossumBreaker;
  private readonly strategy: BreakerStrategy;
  private readonly timed: boolean;
  /** Bumped on every transition, so a call admitted in an earlier state cannot move the current one. */
  private generation = 0;
  private probes = 0;
  private probeSuccesses = 0;
  private reason = '';
  /** Calls by result, read by the metrics adapter at scrape time: counting costs an increment, not a label lookup. */
  readonly calls: Record<CallResult, number> = { success: 0, failure: 0, rejected: 0, timeout: 0, fallback: 0 };

  constructor(
    readonly name: string,
    private readonly options: ResolvedCircuitBreakerOptions,
    private readonly listener: ResilienceListener = {},
  ) {
    this.strategy = options.createStrategy();
    this.timed = options.slowCallDuration !== Infinity || this.strategy.needsTimeOnSuccess;
    this.circuit = new OpossumBreaker(unused, {
      name,
      resetTimeout: options.resetTimeout,
      timeout: false,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // opossum's rolling statistics rotate on a timer per breaker; we never feed them (see README), so an emitter
      // that never fires replaces the interval. One per breaker: a shared one would keep every breaker alive.
      rotateBucketController: new EventEmitter(),
    });
    this.circuit.on('open', () => this.transition('open', this.reason));
    this.circuit.on('halfOpen', () =>
      this.transition('half-open', `${options.resetTimeout} ms passed since it opened`),
    );
    this.circuit.on('close', () => this.transition('closed', this.reason));
  }

  get state(): CircuitState {
    return this.circuit.closed ? 'closed' : this.circuit.halfOpen ? 'half-open' : 'open';
  }

  /** Runs `fn` if the circuit admits it; otherwise rejects with `BrokenCircuitError` without running it. */
  execute<T>(fn: () => T | Promise<T>): Promise<T> {
    if (!this.circuit.closed) return this.probe(fn);
    const generation = this.generation;
    const started = this.timed ? Date.now() : 0;
    let pending: T | Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      this.failed(error, generation, false);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrows whatever the call threw
      return Promise.reject(error);
    }
    // `then` rather than an async function: one promise and one tick fewer on the hot path.
    return Promise.resolve(pending).then(
      (result) => {
        this.succeeded(started, generation, false);
        return result;
      },
      (error: unknown) => {
        this.failed(error, generation, false);
        throw error;
      },
    );
  }

  /** Stops opossum's reset timer; the breaker must not be used afterwards. */
  shutdown(): void {
    this.circuit.shutdown();
  }

  private async probe<T>(fn: () => T | Promise<T>): Promise<T> {
    if (!this.circuit.halfOpen || this.probes >= this.options.halfOpenMaxCalls) {
      this.calls.rejected++;
      throw new BrokenCircuitError(this.name, this.circuit.halfOpen ? 'half-open' : 'open');
    }
    this.probes++;
    const generation = this.generation;
    const started = this.timed ? Date.now() : 0;
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      this.failed(error, generation, true);
      throw error;
    }
    this.succeeded(started, generation, true);
    return result;
  }

  private succeeded(started: number, generation: number, probe: boolean): void {
    this.calls.success++;
    if (generation !== this.generation) return;
    if (this.timed) {
      const now = Date.now();
      if (now - started > this.options.slowCallDuration) return this.countFailure(now, probe, 'a slow call');
      if (!probe) return this.strategy.success(now);
    }
    if (probe && ++this.probeSuccesses >= this.options.successThreshold) {
      this.reason = `${this.probeSuccesses} probe calls succeeded`;
      this.circuit.close();
    }
  }

  private failed(error: unknown, generation: number, probe: boolean): void {
    // Rejections by policies inside this one say nothing about the dependency: free the probe slot, count nothing.
    if (isBulkheadRejectedError(error) || isBrokenCircuitError(error)) {
      if (probe && generation === this.generation) this.probes--;
      return;
    }
    if (!this.options.isFailure(error)) return this.succeeded(this.timed ? Date.now() : 0, generation, probe);
    if (isCallTimeoutError(error)) this.calls.timeout++;
    else this.calls.failure++;
    if (generation === this.generation) this.countFailure(Date.now(), probe, 'a probe call failed');
  }

  private countFailure(now: number, probe: boolean, probeReason: string): void {
    if (probe) {
      this.reason = probeReason;
      this.circuit.open();
    } else if (this.strategy.failure(now)) {
      this.reason = this.strategy.describe();
      this.circuit.open();
    }
  }

  private transition(state: CircuitState, reason: string): void {
    this.generation++;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.strategy.reset();
    this.listener.breakerState?.(this.name, state, reason);
  }
}
