import { HealthIndicatorService } from '@nestjs/terminus';
import { MemoryHealthIndicator } from './memory.health';

const MB = 1024 * 1024;

describe('MemoryHealthIndicator', () => {
  it('is up while the heap in use stays under the threshold', () => {
    const result = new MemoryHealthIndicator(new HealthIndicatorService(), 64 * 1024 * MB).check();
    expect(result.memory).toMatchObject({ status: 'up', thresholdMb: 65536 });
  });

  it('is down, saying by how much, once the heap in use exceeds the threshold', () => {
    const result = new MemoryHealthIndicator(new HealthIndicatorService(), MB).check();
    expect(result.memory.status).toBe('down');
    expect(result.memory.message).toMatch(/^heap used \d+ MB is above the 1 MB threshold$/);
  });
});
