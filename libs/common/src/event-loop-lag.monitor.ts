import { monitorEventLoopDelay, performance, type ELDHistogram } from 'node:perf_hooks';

const CHECK_INTERVAL_MS = 100;
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/** Lag quantiles of the last completed window, in milliseconds; `sumMs` and `count` grow from start. */
export interface EventLoopLagSummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly sumMs: number;
  readonly count: number;
}

/**
 * The one event-loop lag measurement of the packages: health's liveness (`laggingForMs`) and metrics'
 * `event_loop_lag_seconds` (`summary`) read the same samples, so they never disagree. Lag is the time a
 * `perf_hooks.monitorEventLoopDelay` tick fired late; quantiles are those of the last completed window (reading
 * never resets anything). One unref'd 100 ms timer rotates the window and tracks how long lag has stayed above a
 * threshold. Each application creates its own monitor; nothing is process-wide.
 */
export class EventLoopLagMonitor {
  private readonly histogram: ELDHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private timer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private expectedAt = 0;
  private aboveSince: number | undefined;
  private current: EventLoopLagSummary = { p50: 0, p90: 0, p99: 0, max: 0, sumMs: 0, count: 0 };

  /** `windowMs`: how long each window of quantiles lasts. `thresholdMs`: lag that counts towards `laggingForMs`. */
  constructor(
    private readonly windowMs = 10_000,
    readonly thresholdMs = Infinity,
  ) {}

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.windowStart = this.expectedAt = performance.now();
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
    this.aboveSince = undefined;
  }

  get summary(): EventLoopLagSummary {
    return this.current;
  }

  /** How long the lag has stayed above `thresholdMs` without a punctual tick in between; 0 when it is not above. */
  get laggingForMs(): number {
    return this.aboveSince === undefined ? 0 : performance.now() - this.aboveSince;
  }

  /** Closes the current window: publishes its quantiles, adds it to the totals, starts the next one. */
  rotate(): void {
    const histogram = this.histogram;
    this.windowStart = performance.now();
    if (histogram.count === 0) return;
    // Each sample is the time between two ticks of a `resolution` ms timer; the lag is what exceeds it.
    const lag = (ns: number): number => Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
    this.current = {
      p50: lag(histogram.percentile(50)),
      p90: lag(histogram.percentile(90)),
      p99: lag(histogram.percentile(99)),
      max: lag(histogram.max),
      sumMs: this.current.sumMs + lag(histogram.mean) * histogram.count,
      count: this.current.count + histogram.count,
    };
    histogram.reset();
  }

  private check(): void {
    const now = performance.now();
    const lagMs = now - this.expectedAt - CHECK_INTERVAL_MS;
    // A tick later than the threshold starts (or continues) a lagging period; a punctual one ends it.
    if (lagMs > this.thresholdMs) this.aboveSince ??= this.expectedAt + CHECK_INTERVAL_MS;
    else this.aboveSince = undefined;
    this.expectedAt = now;
    if (now - this.windowStart >= this.windowMs) this.rotate();
  }
}
