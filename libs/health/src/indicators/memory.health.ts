import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

const MB = 1024 * 1024;

/** Down when the V8 heap in use exceeds a threshold: the instance should shed traffic before it runs out of memory. */
export class MemoryHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly heapUsedThresholdBytes: number,
  ) {}

  check(key = 'memory'): HealthIndicatorResult {
    const session = this.indicators.check(key);
    const heapUsedMb = Math.round(process.memoryUsage().heapUsed / MB);
    const thresholdMb = Math.round(this.heapUsedThresholdBytes / MB);
    return heapUsedMb * MB > this.heapUsedThresholdBytes
      ? session.down({ message: `heap used ${heapUsedMb} MB is above the ${thresholdMb} MB threshold` })
      : session.up({ heapUsedMb, thresholdMb });
  }
}
