import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import {
  type DrainableWork,
  HEALTH_CHECK_REGISTRY,
  type HealthCheckRegistry,
  type CheckResult,
  METRICS_RECORDER,
  type MetricsRecorder,
  SHUTDOWN_COORDINATOR,
  type ShutdownCoordinator,
} from '@nestjs-reliability/common';
import { type Job, type JobsOptions, Queue, type Worker } from 'bullmq';
import { BULLMQ_DEFAULTS } from './claim-status';
import { CORRELATION_FIELD } from './job-context';
import { MODULE_OPTIONS_TOKEN } from './jobs.module-definition';
import {
  checkWorkerOptions,
  type JobsModuleOptions,
  resolveJobsOptions,
  type ResolvedJobsOptions,
} from './jobs.options';
import { QueueCounts } from './queue-counts';
import { TrackedWorker } from './tracked-worker';
import { clientNow, endWhenUnreachable, keepLateConnectionErrorsHandled } from './unreachable-redis';

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Supervises the application's `@nestjs/bullmq` workers and queues, found at bootstrap:
 * - shutdown (with `@nestjs-reliability/shutdown`): no new job is claimed from the first moment; active jobs finish
 *   under the shutdown timeout; the ones still running then are handed back; workers and queues close before
 *   Nest's `onApplicationShutdown` hooks (where Redis clients close);
 * - readiness check `jobs` (with `@nestjs-reliability/health`): down while a worker cannot claim work;
 * - recoveries of jobs from dead or stalled workers counted and logged with the job id; outcome counters, a duration
 *   histogram and per-queue counts (with `@nestjs-reliability/metrics`);
 * - `add()`: enqueues with the caller's correlation id.
 */
@Injectable()
export class JobsService implements DrainableWork, OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly name = 'job workers';
  private readonly logger = new Logger('Jobs');
  private readonly options: ResolvedJobsOptions;
  private workers: TrackedWorker[] = [];
  private queues: Queue[] = [];
  private counts: QueueCounts | undefined;

  /** @internal Nest constructs it. */
  constructor(
    private readonly discovery: DiscoveryService,
    @Optional() @Inject(MODULE_OPTIONS_TOKEN) options?: JobsModuleOptions,
    @Optional() @Inject(METRICS_RECORDER) private readonly metrics?: MetricsRecorder,
    @Optional() @Inject(SHUTDOWN_COORDINATOR) private readonly shutdown?: ShutdownCoordinator,
    @Optional() @Inject(HEALTH_CHECK_REGISTRY) private readonly health?: HealthCheckRegistry,
  ) {
    this.options = resolveJobsOptions(options);
  }

  /** Enqueues a job carrying the current correlation id (e.g. the request's id) in `data.correlationId`. */
  add<D extends object>(queue: Queue, name: string, data: D, options?: JobsOptions): Promise<Job> {
    const correlationId = this.options.correlationId();
    return queue.add(
      name,
      correlationId === undefined ? data : { ...data, [CORRELATION_FIELD]: correlationId },
      options,
    );
  }

  onModuleInit(): void {
    // Registered before bootstrap so health can check the readiness group; workers are looked up when it runs.
    this.health?.register({
      name: 'jobs',
      critical: this.options.critical,
      check: () => this.check(),
    });
    this.shutdown?.registerWork(this);
  }

  onApplicationBootstrap(): void {
    // @nestjs/bullmq creates its workers in onModuleInit, so they all exist now.
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance instanceof WorkerHost) {
        const worker: Worker = (instance as WorkerHost<Worker>).worker;
        checkWorkerOptions(worker.name, worker.opts);
        this.workers.push(new TrackedWorker(worker, this.logger, this.outcomes()));
      } else if (instance instanceof Queue) {
        keepLateConnectionErrorsHandled(instance as Queue);
        this.queues.push(instance as Queue);
      }
    }
    for (const { worker, recoveryBoundMs } of this.workers) {
      const { lockDuration = BULLMQ_DEFAULTS.lockDuration, stalledInterval = BULLMQ_DEFAULTS.stalledInterval } =
        worker.opts;
      this.logger.log(
        `Worker of queue "${worker.name}": a job held by a dead or stalled worker is back in the queue within ` +
          `${recoveryBoundMs} ms (lockDuration ${lockDuration} + stalledInterval ${stalledInterval}); ` +
          `failed after ${worker.opts.maxStalledCount ?? BULLMQ_DEFAULTS.maxStalledCount} such recoveries`,
      );
    }
    for (const worker of this.workers) worker.start();
    if (this.metrics && this.queues.length > 0) {
      this.counts = new QueueCounts(this.queues, this.metrics, this.options.countsRefreshMs);
      this.counts.start();
    }
  }

  stopAccepting(): void {
    for (const worker of this.workers) void worker.stop();
  }

  async whenIdle(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.whenIdle()));
  }

  async cut(): Promise<number> {
    let cut = 0;
    for (const worker of this.workers) cut += await worker.handBack();
    return cut;
  }

  /**
   * After the HTTP requests (which enqueue) are answered: workers (if shutdown did not), then queues. Neither waits
   * on an unreachable Redis: their connections are ended instead of quitting.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.counts?.stop();
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.all(
      this.queues.map(async (queue) => {
        await endWhenUnreachable(await clientNow(queue.client));
        await queue.close().catch((error: Error) => {
          this.logger.warn(`Closing queue "${queue.name}" failed: ${error.message}`);
        });
      }),
    );
  }

  private async check(): Promise<CheckResult> {
    const statuses = await Promise.all(this.workers.map((worker) => worker.claimStatus()));
    const reasons = statuses.flatMap((status) => (status.canClaim ? [] : [status.reason]));
    const details = { workers: this.workers.length, active: this.workers.reduce((n, w) => n + w.activeCount, 0) };
    return reasons.length === 0
      ? { jobs: { status: 'up', ...details } }
      : { jobs: { status: 'down', message: reasons.join('; '), ...details } };
  }

  private outcomes(): ConstructorParameters<typeof TrackedWorker>[2] {
    const total = this.metrics?.counter({
      name: 'jobs_total',
      help: 'Job executions by outcome: completed, failed (for good), retried (failed, will run again), recovered (taken back from a dead or stalled worker).',
      labelNames: ['queue', 'result'],
    });
    const duration = this.metrics?.histogram({
      name: 'job_duration_seconds',
      help: 'Time a job execution took, from claim to completion or failure.',
      labelNames: ['queue'],
      buckets: DURATION_BUCKETS,
    });
    return {
      finished: (queue, result, durationMs) => {
        total?.inc({ queue, result });
        if (durationMs !== undefined) duration?.observe({ queue }, durationMs / 1000);
      },
      recovered: (queue) => total?.inc({ queue, result: 'recovered' }),
    };
  }
}
