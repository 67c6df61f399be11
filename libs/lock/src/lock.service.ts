import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import {
  type CounterMetric,
  METRICS_RECORDER,
  type MetricsRecorder,
  runWithAbortSignal,
} from '@nestjs-reliability/common';
import { LockLostError } from './lock-lost.error';
import { LockUnavailableError } from './lock-unavailable.error';
import { MODULE_OPTIONS_TOKEN } from './lock.module-definition';
import { type LockModuleOptions, resolveLockOptions, type ResolvedLockOptions } from './lock.options';
import { type Lease, QuorumLock } from './quorum-lock';

/**
 * `busy`: another holder has the lock on a quorum of nodes. `unavailable`: too few nodes answered to know
 * (Redis down or unreachable).
 */
export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false; reason: 'busy' | 'unavailable' };

export interface RunOptions {
  /** Overrides the module's `ttlMs` for this lock. */
  ttlMs?: number;
  /** Overrides the module's `retryCount` for this acquisition. */
  retryCount?: number;
}

/** What a routine holds while it runs under the lock. */
export interface LockHandle {
  /** The locked resource, as given to `run`/`tryRun`. */
  readonly resource: string;
  /**
   * Strictly greater than the token of every earlier holder of this resource: hand it to the resource you protect
   * and let it refuse a write whose token is lower than one it has seen (a holder paused past its TTL).
   */
  readonly fencingToken: number;
  /** Aborts with `LockLostError` the moment the lock cannot be extended or its validity runs out. */
  readonly signal: AbortSignal;
}

/**
 * Runs work on one instance at a time (the Redlock algorithm over one or an odd number of independent Redis
 * masters, with fencing tokens).
 *
 * While the routine runs, the lock is extended at half its lifetime. The routine gets an `AbortSignal` and a
 * `LockHandle`; the signal fires, with a `LockLostError` as reason, the moment an extension fails or the lock's
 * validity runs out (a process paused past its TTL): a lock that cannot be extended is treated as lost at once.
 * A failed release is logged, never thrown over the routine's result.
 */
@Injectable()
export class LockService {
  private readonly logger = new Logger(LockService.name);
  private readonly options: ResolvedLockOptions;
  private readonly lock: QuorumLock;
  private readonly outcomes: CounterMetric<'resource' | 'result'> | undefined;

  constructor(
    @Inject(MODULE_OPTIONS_TOKEN) options: LockModuleOptions,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    this.options = resolveLockOptions(options);
    this.lock = new QuorumLock(this.options.clients, this.options);
    this.outcomes = metrics?.counter({
      name: 'lock_outcomes_total',
      help: 'Distributed lock outcomes by resource: acquired, busy (held elsewhere), unavailable (Redis unreachable) or lost (extension failed or validity ran out).',
      labelNames: ['resource', 'result'],
    });
  }

  /** Runs `routine` under the lock, or returns `{ acquired: false, reason }` when it cannot be had. */
  async tryRun<T>(resource: string, routine: LockRoutine<T>, options: RunOptions = {}): Promise<LockOutcome<T>> {
    const ttlMs = options.ttlMs ?? this.options.ttlMs;
    const lease = await this.lock.acquire(resource, ttlMs, options.retryCount);
    if (typeof lease === 'string') {
      this.outcomes?.inc({ resource, result: lease });
      return { acquired: false, reason: lease };
    }
    this.outcomes?.inc({ resource, result: 'acquired' });
    return { acquired: true, value: await this.hold(lease, ttlMs, routine) };
  }

  /** Runs `routine` under the lock; throws `LockUnavailableError` (with the reason) when it cannot be had. */
  async run<T>(resource: string, routine: LockRoutine<T>, options?: RunOptions): Promise<T> {
    const outcome = await this.tryRun(resource, routine, options);
    if (!outcome.acquired) throw new LockUnavailableError(resource, outcome.reason);
    return outcome.value;
  }

  /** @internal A retry delay with the module's jitter: `base` (default `retryDelayMs`) ± `retryJitterMs`. */
  retryDelay(base?: number): number {
    return this.lock.retryDelay(base);
  }

  private async hold<T>(lease: Lease, ttlMs: number, routine: LockRoutine<T>): Promise<T> {
    const { resource } = lease;
    const controller = new AbortController();
    let extension: Promise<void> | undefined;
    let extendTimer: NodeJS.Timeout | undefined;
    let expiryTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const lose = (why: string, cause?: unknown): void => {
      if (finished || controller.signal.aborted) return;
      clearTimeout(extendTimer);
      clearTimeout(expiryTimer);
      this.outcomes?.inc({ resource, result: 'lost' });
      this.logger.error(`Lost the lock on "${resource}" (fencing token ${lease.fencingToken}): ${why}`);
      controller.abort(new LockLostError(resource, cause === undefined ? undefined : { cause }));
    };
    const schedule = (): void => {
      if (finished) return;
      const now = performance.now();
      // A process paused past the validity (GC, SIGSTOP) finds this timer due when it resumes: the routine stops
      // whatever a late extension answers.
      clearTimeout(expiryTimer);
      expiryTimer = setTimeout(
        () => lose('its validity ran out before an extension succeeded'),
        lease.validUntil - now,
      );
      expiryTimer.unref();
      extendTimer = setTimeout(
        () => {
          extension = this.lock.extend(lease, ttlMs).then(
            (extended) => (extended ? schedule() : lose('a majority of the Redis nodes did not extend it')),
            (error: unknown) => lose((error as Error).message, error),
          );
        },
        Math.max(0, lease.validUntil - now - ttlMs / 2),
      );
      extendTimer.unref();
    };
    schedule();
    const handle: LockHandle = { resource, fencingToken: lease.fencingToken, signal: controller.signal };
    try {
      return await runWithAbortSignal(controller.signal, () =>
        held.run(handle, () => routine(controller.signal, handle)),
      );
    } finally {
      finished = true;
      clearTimeout(extendTimer);
      clearTimeout(expiryTimer);
      await extension;
      if (!controller.signal.aborted) {
        controller.abort();
        // A lock that cannot be released expires by itself within its TTL.
        await this.lock
          .release(lease, ttlMs)
          .catch((error: Error) => this.logger.warn(`Could not release "${resource}": ${error.message}`));
      }
    }
  }
}

const held = new AsyncLocalStorage<LockHandle>();

/**
 * The innermost lock held by the code running now (a `@WithLock` method, a `run`/`tryRun` routine), or undefined:
 * how a decorated method reaches its `fencingToken`.
 */
export function currentLock(): LockHandle | undefined {
  return held.getStore();
}

/** The work done under a lock: stop when `signal` aborts, and give `lock.fencingToken` to what you write to. */
export type LockRoutine<T> = (signal: AbortSignal, lock: LockHandle) => Promise<T> | T;
