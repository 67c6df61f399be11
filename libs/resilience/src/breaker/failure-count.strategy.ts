import type { BreakerStrategy } from './breaker-strategy';

/** Opens after `threshold` failures within `windowMs` (the seed: 5 in 10 s). A ring of the last failure times. */
export class FailureCountStrategy implements BreakerStrategy {
  readonly needsTimeOnSuccess = false;
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {
    this.times = new Float64Array(threshold);
  }

  success(): void {}

  failure(now: number): boolean {
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.threshold;
    if (this.count < this.threshold) this.count++;
    // `next` now points at the oldest of the last `threshold` failures.
    return this.count === this.threshold && now - this.times[this.next] < this.windowMs;
  }

  reset(): void {
    this.count = 0;
  }

  describe(): string {
    return `${this.threshold} failures within ${this.windowMs} ms`;
  }
}
