import { Registry } from 'prom-client';
import { EventLoopLagCollector } from './event-loop-lag.collector';

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('EventLoopLagCollector', () => {
  it('reports the last closed window to every scrape alike, and keeps sum and count from start', async () => {
    const registry = new Registry();
    const collector = new EventLoopLagCollector(registry, 'lag_seconds', 60_000);
    collector.monitor.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      blockFor(120);
      await new Promise((resolve) => setTimeout(resolve, 30));
      collector.monitor.rotate();
      const first = await registry.metrics();
      blockFor(50);
      const second = await registry.metrics();
      expect(second).toBe(first);
      const max = Number(/lag_seconds\{quantile="1"\} (\S+)/.exec(first)![1]);
      expect(max).toBeGreaterThan(0.1);
      expect(Number(/lag_seconds_count (\S+)/.exec(first)![1])).toBeGreaterThan(0);
    } finally {
      collector.monitor.stop();
    }
  });
});
