import { BulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { currentAbortSignal } from '@nestjs-reliability/common';

/** Runs at most `maxConcurrent` calls at once, queues up to `maxQueue` more in order, and rejects the rest. */
export class BulkheadPolicy {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly operation: string,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  async execute<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent) {
      if (this.queue.length >= this.maxQueue)
        throw new BulkheadRejectedError(this.operation, this.maxConcurrent, this.maxQueue);
      // The slot is handed over by `release`, so `active` already counts this call when it resumes.
      await new Promise<void>((resolve) => this.queue.push(resolve));
      // A caller that gave up while queued (its timeout fired) must not run the work late.
      const signal = currentAbortSignal();
      if (signal?.aborted) {
        this.release();
        throw signal.reason;
      }
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.queue.shift();
    if (next === undefined) this.active--;
    else next();
  }
}
