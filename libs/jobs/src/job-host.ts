import { WorkerHost } from '@nestjs/bullmq';
import { runWithAbortSignal } from '@nestjs-reliability/common';
import { type Job, WaitingError } from 'bullmq';
import { type JobContext, jobContextOf, runInJobContext } from './job-context';

/**
 * A `@nestjs/bullmq` processor with the job's context: extend it instead of `WorkerHost` and implement `handle`.
 * The handler runs inside `currentJob()` (its id, idempotency key, correlation id) and `currentAbortSignal()`.
 * When the execution stops owning the job (lock lost after a stall, or handed back at the shutdown timeout), the
 * signal aborts and the worker moves on at once; the job is not failed by this stale execution.
 */
export abstract class JobHost<D = unknown, R = unknown> extends WorkerHost {
  abstract handle(job: Job<D, R>, context: JobContext): Promise<R>;

  // Three parameters: BullMQ passes the abort signal only to a processor that declares it.
  async process(job: Job<D, R>, token?: string, signal?: AbortSignal): Promise<R> {
    void token;
    const context = jobContextOf(job, signal);
    const run = () => runInJobContext(context, () => this.handle(job, context));
    if (!signal) return run();
    return new Promise<R>((resolve, reject) => {
      // The job is somebody else's now: BullMQ must neither complete nor fail it with this execution's stale token.
      const abandon = () => reject(new WaitingError(`job ${context.jobId} was taken back: ${String(signal.reason)}`));
      if (signal.aborted) return abandon();
      signal.addEventListener('abort', abandon, { once: true });
      runWithAbortSignal(signal, run)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', abandon));
    });
  }
}
