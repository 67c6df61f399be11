import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job } from 'bullmq';

/** What the code running a job can know about it, from `currentJob()` or the handler's second argument. */
export interface JobContext {
  readonly queue: string;
  readonly jobId: string;
  /**
   * `<queue>:<job id>`: the same for every execution of the job (retries, a recovery after a crash, a stale
   * worker that resumes). Key the job's effect on it (a unique-keyed write) to apply it once.
   */
  readonly idempotencyKey: string;
  /** 1 for the first execution; a recovered or retried job runs again with a higher number. */
  readonly execution: number;
  /** The id of the request that enqueued the job, when it was enqueued through `JobsService.add`. */
  readonly correlationId: string | undefined;
  /** Aborts when this execution no longer owns the job: lock lost, or handed back at the shutdown timeout. */
  readonly signal: AbortSignal | undefined;
}

/** Where `JobsService.add` puts the correlation id in a job's data (a plain object). */
export const CORRELATION_FIELD = 'correlationId';

const jobs = new AsyncLocalStorage<JobContext>();

/** The job being executed by this code, through every `await` of its handler; undefined outside a job. */
export function currentJob(): JobContext | undefined {
  return jobs.getStore();
}

export function runInJobContext<T>(context: JobContext, fn: () => T): T {
  return jobs.run(context, fn);
}

/** The job's idempotency key: `<queue>:<job id>`, stable across every execution of the job. */
export function idempotencyKey(job: Pick<Job, 'queueName' | 'id'>): string {
  if (job.id === undefined) throw new TypeError('A job has no id before it is added to its queue.');
  return `${job.queueName}:${job.id}`;
}

export function jobContextOf(job: Job, signal: AbortSignal | undefined): JobContext {
  const data: unknown = job.data;
  const correlation =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[CORRELATION_FIELD] : undefined;
  return {
    queue: job.queueName,
    jobId: String(job.id),
    idempotencyKey: idempotencyKey(job),
    execution: Math.max(1, job.attemptsStarted),
    correlationId: typeof correlation === 'string' ? correlation : undefined,
    signal,
  };
}
