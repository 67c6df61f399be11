import type { GaugeMetric, MetricsRecorder } from '@nestjs-reliability/common';
import type { Queue } from 'bullmq';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * `jobs_waiting`, `jobs_active`, `jobs_delayed`, `jobs_failed` per queue, read in the background every `refreshMs`
 * (one round trip per queue, the next read scheduled once the last is done), so a scrape never waits on Redis and a
 * storm of scrapes costs Redis nothing. A queue whose read fails keeps its last values.
 */
export class QueueCounts {
  private readonly gauges: Record<(typeof STATES)[number], GaugeMetric<'queue'>>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly queues: Queue[],
    metrics: MetricsRecorder,
    private readonly refreshMs: number,
  ) {
    const gauge = (state: (typeof STATES)[number], help: string) =>
      metrics.gauge({ name: `jobs_${state}`, help, labelNames: ['queue'] });
    this.gauges = {
      waiting: gauge('waiting', 'Jobs waiting to be claimed (refreshed in the background).'),
      active: gauge(
        'active',
        'Jobs claimed by a worker and not finished, on every instance (refreshed in the background).',
      ),
      delayed: gauge('delayed', 'Jobs waiting for their delay or retry backoff (refreshed in the background).'),
      failed: gauge('failed', 'Jobs failed for good and kept in the queue (refreshed in the background).'),
    };
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    await Promise.all(
      this.queues.map(async (queue) => {
        try {
          const counts = await queue.getJobCounts(...STATES);
          for (const state of STATES) this.gauges[state].set({ queue: queue.name }, counts[state] ?? 0);
        } catch {
          // Redis away: the last values stay; readiness and the worker's log say why.
        }
      }),
    );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule(this.refreshMs)), delayMs);
    this.timer.unref();
  }
}
