import { performance } from 'node:perf_hooks';

const SAMPLE_INTERVAL_MS = 100;

/**
 * Watches event-loop lag with an unref'd timer: a tick that fires late by more than `maxLagMs` starts a lagging
 * period, a punctual tick ends it. `isLagging` is true once a period has lasted `sustainedMs`, so one slow
 * garbage collection never fails liveness, but a loop that stays saturated does.
 */
export class EventLoopLagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  private laggingSince: number | undefined;

  constructor(
    readonly maxLagMs: number,
    readonly sustainedMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.expectedAt = performance.now() + SAMPLE_INTERVAL_MS;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.laggingSince = undefined;
  }

  get isLagging(): boolean {
    return this.laggingSince !== undefined && performance.now() - this.laggingSince >= this.sustainedMs;
  }

  private sample(): void {
    const now = performance.now();
    const lag = now - this.expectedAt;
    if (lag > this.maxLagMs) {
      this.laggingSince ??= this.expectedAt;
    } else {
      this.laggingSince = undefined;
    }
    this.expectedAt = now + SAMPLE_INTERVAL_MS;
  }
}
