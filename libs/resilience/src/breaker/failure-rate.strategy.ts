import type { BreakerStrategy } from './breaker-strategy';

const BUCKETS = 10;

/**
 * Opens when at least `percent` % of the calls in the last `windowMs` failed, once the window holds `minimumCalls`
 * (resilience4j's time-based sliding window). Ten buckets: fixed memory whatever the call rate.
 */
export class FailureRateStrategy implements BreakerStrategy {
  readonly needsTimeOnSuccess = true;
  private readonly calls = new Float64Array(BUCKETS);
  private readonly failures = new Float64Array(BUCKETS);
  private readonly bucketMs: number;
  private bucket = 0;
  private index = 0;

  constructor(
    private readonly percent: number,
    private readonly minimumCalls: number,
    private readonly windowMs: number,
  ) {
    this.bucketMs = Math.max(1, windowMs / BUCKETS);
  }

  success(now: number): void {
    this.rotate(now);
    this.calls[this.index]++;
  }

  failure(now: number): boolean {
    this.rotate(now);
    this.calls[this.index]++;
    this.failures[this.index]++;
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.calls[i];
      failures += this.failures[i];
    }
    return calls >= this.minimumCalls && (failures * 100) / calls >= this.percent;
  }

  reset(): void {
    this.calls.fill(0);
    this.failures.fill(0);
  }

  describe(): string {
    return `${this.percent} % of at least ${this.minimumCalls} calls failed within ${this.windowMs} ms`;
  }

  private rotate(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket === this.bucket) return;
    const steps = Math.min(bucket - this.bucket, BUCKETS);
    for (let i = 0; i < steps; i++) {
      this.index = (this.index + 1) % BUCKETS;
      this.calls[this.index] = 0;
      this.failures[this.index] = 0;
    }
    this.bucket = bucket;
  }
}
