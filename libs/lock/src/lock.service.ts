import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  type CounterMetric,
  METRICS_RECORDER,
  type MetricsRecorder,
  runWithAbortSignal,
} from '@nestjs-reliability/common';
import Redlock, { ExecutionError, type Lock, ResourceLockedError } from 'redlock';
import { LockLostError } from './lock-lost.error';
import { LockUnavailableError } from './lock-unavailable.error';
import { MODULE_OPTIONS_TOKEN } from './lock.module-definition';
import { type LockModuleOptions, resolveLockOptions, type ResolvedLockOptions } from './lock.options';

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

/**
 * Runs work on one instance at a time (Redlock over one or an odd number of independent Redis masters).
 *
 * While the routine runs, the lock is extended at half its lifetime. The routine gets an `AbortSignal` that
 * fires, with a `LockLostError` as reason, the moment an extension fails: unlike redlock's own `using()`,
 * which retries until the lock has already expired (when another instance may hold it), a lock that cannot be
 * extended is treated as lost at once. A failed release is logged, never thrown over the routine's result.
 */
@Injectable()
export class LockService {
  private readonly logger = new Logger(LockService.name);
  private readonly options: ResolvedLockOptions;
  private readonly redlock: Redlock;
  private readonly outcomes: CounterMetric<'resource' | 'result'> | undefined;

  constructor(
    @Inject(MODULE_OPTIONS_TOKEN) options: LockModuleOptions,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    this.options = resolveLockOptions(options);
    this.redlock = new Redlock(this.options.clients, {
      driftFactor: this.options.driftFactor,
      retryCount: this.options.retryCount,
      retryDelay: this.options.retryDelayMs,
      retryJitter: this.options.retryJitterMs,
    });
    // Without a listener, redlock's 'error' events (a node down) would throw.
    this.redlock.on('error', () => undefined);
    this.outcomes = metrics?.counter({
      name: 'lock_outcomes_total',
      help: 'Distributed lock outcomes by resource: acquired, busy (held elsewhere), unavailable (Redis unreachable) or lost (extension failed).',
      labelNames: ['resource', 'result'],
    });
  }

  /** Runs `routine` under the lock, or returns `{ acquired: false, reason }` when it cannot be had. */
  async tryRun<T>(
    resource: string,
    routine: (signal: AbortSignal) => Promise<T> | T,
    options: RunOptions = {},
  ): Promise<LockOutcome<T>> {
    const ttlMs = options.ttlMs ?? this.options.ttlMs;
    let lock: Lock;
    try {
      lock = await this.redlock.acquire([this.options.keyPrefix + resource], ttlMs, {
        retryCount: options.retryCount ?? this.options.retryCount,
      });
    } catch (error) {
      if (!(error instanceof ExecutionError || error instanceof ResourceLockedError)) throw error;
      const reason = await refusalReason(error);
      this.outcomes?.inc({ resource, result: reason });
      return { acquired: false, reason };
    }
    this.outcomes?.inc({ resource, result: 'acquired' });
    return { acquired: true, value: await this.hold(resource, lock, ttlMs, routine) };
  }

  /** Runs `routine` under the lock; throws `LockUnavailableError` (with the reason) when it cannot be had. */
  async run<T>(resource: string, routine: (signal: AbortSignal) => Promise<T> | T, options?: RunOptions): Promise<T> {
    const outcome = await this.tryRun(resource, routine, options);
    if (!outcome.acquired) throw new LockUnavailableError(resource, outcome.reason);
    return outcome.value;
  }

  private async hold<T>(
    resource: string,
    acquired: Lock,
    ttlMs: number,
    routine: (signal: AbortSignal) => Promise<T> | T,
  ): Promise<T> {
    const controller = new AbortController();
    let lock = acquired;
    let extension: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const scheduleExtension = (): void => {
      if (finished) return;
      timer = setTimeout(
        () => {
          extension = extend();
        },
        Math.max(0, lock.expiration - Date.now() - ttlMs / 2),
      );
      timer.unref();
    };
    const extend = async (): Promise<void> => {
      try {
        lock = await lock.extend(ttlMs);
        scheduleExtension();
      } catch (error) {
        this.outcomes?.inc({ resource, result: 'lost' });
        this.logger.error(`Lost the lock on "${resource}": ${(error as Error).message}`);
        controller.abort(new LockLostError(resource, { cause: error }));
      }
    };
    scheduleExtension();
    try {
      return await runWithAbortSignal(controller.signal, () => routine(controller.signal));
    } finally {
      finished = true;
      clearTimeout(timer);
      await extension;
      if (!controller.signal.aborted) {
        controller.abort();
        // A lock that cannot be released expires by itself within its TTL.
        await lock
          .release()
          .catch((error: Error) => this.logger.warn(`Could not release "${resource}": ${error.message}`));
      }
    }
  }
}

/** Busy when every node that voted against did so because the key is held; anything else means nodes failed. */
async function refusalReason(error: ExecutionError | ResourceLockedError): Promise<'busy' | 'unavailable'> {
  if (error instanceof ResourceLockedError) return 'busy';
  const last = error.attempts.at(-1);
  if (!last) return 'unavailable';
  const stats = await last;
  const heldByOthers = [...stats.votesAgainst.values()].filter((vote) => vote instanceof ResourceLockedError).length;
  return heldByOthers >= stats.quorumSize ? 'busy' : 'unavailable';
}
