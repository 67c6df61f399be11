import type { Job, Worker } from 'bullmq';
import { type ClaimStatus, claimStatus, recoveryBoundMs } from './claim-status';
import { type ClusterLike, clusterStatusFor } from './cluster-slot';
import {
  type BullConnectionLike,
  clientNow,
  endWhenUnreachable,
  keepLateConnectionErrorsHandled,
} from './unreachable-redis';

/** `Worker.callProcessJob`, protected in BullMQ's typings: where a claimed job's processor is called. */
type ProcessorCall = (job: Job, token: string, signal?: AbortSignal) => Promise<unknown>;

export interface JobsLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a worker's jobs report, for the metrics. */
export interface JobOutcomes {
  finished(queue: string, result: 'completed' | 'failed' | 'retried', durationMs: number | undefined): void;
  recovered(queue: string): void;
}

/**
 * One BullMQ worker under supervision: its active jobs (for the shutdown drain and the hand-back at the timeout),
 * its outcomes and recoveries (counted and logged with the job id), and whether it can claim work.
 */
export class TrackedWorker {
  private readonly active = new Map<string, Job>();
  /** Waiters of `whenIdle()`, released when the last active job settles. */
  private idleWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;
  private failing = false;

  constructor(
    readonly worker: Worker,
    private readonly logger: JobsLogger,
    private readonly outcomes: JobOutcomes,
  ) {
    keepLateConnectionErrorsHandled(worker);
    worker.on('active', (job) => this.active.set(String(job.id), job));
    // A job is active here while its processor runs. BullMQ records the outcome after that (`moveToCompleted`),
    // and with Redis away that command waits in ioredis's queue until Redis returns: counted until 'completed', a
    // job whose processor had finished held the shutdown drain to its timeout and was counted as cut (exit 70).
    // Closing the worker after the drain still records the outcome while Redis answers.
    const host = worker as unknown as { callProcessJob: ProcessorCall };
    const callProcessJob = host.callProcessJob.bind(worker);
    host.callProcessJob = (job, token, signal) =>
      Promise.resolve(callProcessJob(job, token, signal)).finally(() => this.forget(String(job.id)));
    worker.on('completed', (job) => this.finished(job, 'completed'));
    worker.on('failed', (job) => job && this.finished(job, job.finishedOn ? 'failed' : 'retried'));
    // Emitted by the live worker whose stalled check took the job back from a dead or stalled one.
    worker.on('stalled', (jobId) => {
      this.outcomes.recovered(this.queue);
      this.logger.warn(
        `Recovered job ${jobId} of queue "${this.queue}": its worker died or stalled past the lock; it runs again`,
      );
    });
    // This instance stalled past its lock (a pause, a partition): the job is another worker's now, stop ours.
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) {
        this.logger.warn(`Lost the lock of job ${jobId} of queue "${this.queue}"; abandoning this execution`);
        this.forget(jobId);
        worker.cancelJob(jobId, 'lock lost');
      }
    });
    // Without a listener an 'error' event would crash the process; logged once per failing streak.
    worker.on('error', (error) => {
      if (!this.failing) this.logger.warn(`Worker of queue "${this.queue}": ${error.message}`);
      this.failing = true;
    });
    worker.on('ready', () => {
      if (this.failing) this.logger.log(`Worker of queue "${this.queue}" reconnected; claiming again`);
      this.failing = false;
    });
  }

  get queue(): string {
    return this.worker.name;
  }

  get activeCount(): number {
    return this.active.size;
  }

  get recoveryBoundMs(): number {
    return recoveryBoundMs(this.worker.opts);
  }

  /**
   * Starts a worker created with `autorun: false` (so that no job is claimed before its events are watched). The
   * worker waits for Redis if it is not there yet.
   */
  start(): void {
    if (this.worker.opts.autorun !== false || this.worker.isRunning() || this.closing) return;
    this.worker.run().catch((error: Error) => {
      this.logger.error(`Worker of queue "${this.queue}" stopped: ${error.message}`);
    });
  }

  async claimStatus(): Promise<ClaimStatus> {
    const closing = this.closing !== undefined || this.worker.closing !== undefined;
    const client = closing ? undefined : await clientNow(this.worker.client);
    // On Redis Cluster every key of the queue is in one slot (BullMQ requires it): the node serving it is what counts.
    const connection = client?.isCluster
      ? clusterStatusFor(client as unknown as ClusterLike, `${this.worker.opts.prefix}:${this.queue}:meta`)
      : client?.status;
    return claimStatus(this.queue, {
      closing,
      running: this.worker.isRunning(),
      paused: this.worker.isPaused(),
      connection,
    });
  }

  /**
   * Resolves once no job is active here. The shutdown drain waits for this, not for the worker to close: closing
   * also waits for its Redis connections, which can take as long as Redis is away, with nothing left to finish.
   */
  whenIdle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops claiming at once; the active jobs run on, then the worker's connections close. */
  stop(): Promise<void> {
    this.closing ??= this.worker.close().catch((error: Error) => {
      this.logger.error(`Closing the worker of queue "${this.queue}" failed: ${error.message}`);
    });
    return this.closing;
  }

  /**
   * After the drain: the worker's close completes without waiting on an unreachable Redis. Its connections quit
   * gracefully while they reach Redis, and are ended at once when they cannot (BullMQ's own close would wait for
   * Redis to come back, and the process with it).
   */
  async close(): Promise<void> {
    const closed = this.stop();
    const clients = await Promise.all([clientNow(this.worker.client), clientNow(this.worker.waitUntilReady())]);
    // The worker's connections (protected in BullMQ's typings), in the order of the clients above.
    const { connection, blockingConnection } = this.worker as unknown as Record<string, BullConnectionLike>;
    await Promise.all([endWhenUnreachable(clients[0], connection), endWhenUnreachable(clients[1], blockingConnection)]);
    await closed;
  }

  /**
   * The shutdown timeout passed: every job still active here goes back to the wait list at once (another instance
   * claims it, rather than waiting for the lock to expire) and its execution here is aborted. Resolves to how many
   * jobs were cut, handed back or not.
   */
  async handBack(): Promise<number> {
    // Without Redis a job cannot be handed back: it is left to the other instances' stalled check (its lock
    // expires), and the attempt must fail at once rather than wait for Redis in ioredis's queue.
    await endWhenUnreachable(await clientNow(this.worker.client));
    const cut = this.active.size;
    for (const [jobId, job] of this.active) {
      try {
        await job.moveToWait(job.token);
        this.logger.warn(`Handed back job ${jobId} of queue "${this.queue}" unfinished at the shutdown timeout`);
      } catch (error) {
        this.logger.warn(
          `Could not hand back job ${jobId} of queue "${this.queue}" (${(error as Error).message}): another ` +
            `instance recovers it within ${this.recoveryBoundMs} ms, once its lock expires`,
        );
      }
    }
    for (const jobId of [...this.active.keys()]) this.forget(jobId);
    this.worker.cancelAllJobs('shutdown timeout');
    return cut;
  }

  private forget(jobId: string): void {
    this.active.delete(jobId);
    if (this.active.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private finished(job: Job, result: 'completed' | 'failed' | 'retried'): void {
    this.forget(String(job.id));
    const durationMs = job.processedOn ? Date.now() - job.processedOn : undefined;
    this.outcomes.finished(this.queue, result, durationMs);
  }
}
