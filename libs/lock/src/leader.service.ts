import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import {
  type CounterMetric,
  type GaugeMetric,
  METRICS_RECORDER,
  type MetricsRecorder,
  SHUTDOWN_COORDINATOR,
  type ShutdownCoordinator,
} from '@nestjs-reliability/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LockHandle, LockService } from './lock.service';

/** The leader's work: run until `signal` aborts (leadership lost or handed over); write with `lock.fencingToken`. */
export type LeaderLoop = (signal: AbortSignal, lock: LockHandle) => Promise<void> | void;

/** Per-election settings; the module's lock options apply otherwise. */
export interface LeaderOptions {
  /** Lifetime of the leadership lock, extended at half-life: a dead leader is replaced within it. Default: the module's `ttlMs`. */
  ttlMs?: number;
  /** How often a standby tries to take the lead (± the module's `retryJitterMs`). Default: the module's `retryDelayMs`. */
  retryDelayMs?: number;
}

/** One election as this instance takes part in it. */
export interface Leadership {
  /** The election's name, which is also the lock's resource. */
  readonly name: string;
  /** Whether this instance leads now (its loop is running). */
  readonly isLeader: boolean;
  /** Steps down at once (the loop is aborted, the lock released) and stops standing. */
  stop(): Promise<void>;
}

/**
 * Leader election on the lock: of the instances calling `runAsLeader(name, loop)`, one runs `loop` while the others
 * stand by. The leader keeps its lock alive by extension and loses it, its loop aborted, the moment an extension
 * fails; it hands over at once when graceful shutdown begins; a standby takes over within the TTL plus its retry
 * delay when the leader dies.
 */
@Injectable()
export class LeaderService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Leader');
  private readonly elections = new Set<Election>();
  private readonly leaderGauge: GaugeMetric<'election'> | undefined;
  private readonly changes: CounterMetric<'election'> | undefined;

  constructor(
    private readonly locks: LockService,
    @Optional() @Inject(SHUTDOWN_COORDINATOR) private readonly shutdown?: ShutdownCoordinator,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    this.leaderGauge = metrics?.gauge({
      name: 'lock_leader',
      help: 'Whether this instance leads the election: 1 leader, 0 standby.',
      labelNames: ['election'],
    });
    this.changes = metrics?.counter({
      name: 'lock_leader_changes_total',
      help: 'Times this instance took the leadership of the election.',
      labelNames: ['election'],
    });
  }

  /** Stands for the leadership of `name` until `stop()` or shutdown, running `loop` whenever this instance leads. */
  runAsLeader(name: string, loop: LeaderLoop, options: LeaderOptions = {}): Leadership {
    if ([...this.elections].some((election) => election.name === name)) {
      throw new Error(`This instance already stands in the election "${name}"; call runAsLeader once per name.`);
    }
    const election = new Election(name, loop, options);
    this.elections.add(election);
    this.leaderGauge?.set({ election: name }, 0);
    election.done = this.campaign(election).finally(() => this.elections.delete(election));
    return {
      name,
      get isLeader() {
        return election.leading;
      },
      stop: () => election.stop('stopped'),
    };
  }

  /**
   * With graceful shutdown present, every election is background work of its sequence: the leader hands over the
   * moment shutdown begins (its loop aborted, the lock released while Redis is still open), and the sequence waits
   * for the loops to end under its own timeout.
   */
  onModuleInit(): void {
    this.shutdown?.registerWork({
      name: 'leader elections',
      stopAccepting: () => void this.stopAll('graceful shutdown'),
      whenIdle: () => this.stopAll('graceful shutdown'),
      // Nothing to hand back: the lock is released, or expires within its TTL, and a standby takes over.
      cut: () => Promise.resolve(0),
    });
  }

  /** Steps down (releasing the lock) and stops standing when the application closes. */
  async onModuleDestroy(): Promise<void> {
    await this.stopAll('application closing');
  }

  private async stopAll(reason: string): Promise<void> {
    await Promise.all([...this.elections].map((election) => election.stop(reason)));
  }

  private async campaign(election: Election): Promise<void> {
    const { name } = election;
    while (!election.stopping.aborted) {
      try {
        await this.locks.tryRun(name, (signal, lock) => this.lead(election, signal, lock), {
          ttlMs: election.options.ttlMs,
          retryCount: 0,
        });
      } catch (error) {
        this.logger.error(`Election "${name}": ${(error as Error).message}`);
      }
      await sleep(this.locks.retryDelay(election.options.retryDelayMs), undefined, { signal: election.stopping }).catch(
        () => undefined,
      );
    }
  }

  private async lead(election: Election, lockSignal: AbortSignal, lock: LockHandle): Promise<void> {
    const { name } = election;
    const signal = AbortSignal.any([lockSignal, election.stopping]);
    election.leading = true;
    this.leaderGauge?.set({ election: name }, 1);
    this.changes?.inc({ election: name });
    this.logger.log(`Leading "${name}" (fencing token ${lock.fencingToken})`);
    try {
      await election.loop(signal, { ...lock, signal });
    } catch (error) {
      if (!signal.aborted) this.logger.error(`The leader loop of "${name}" failed: ${(error as Error).message}`);
    } finally {
      election.leading = false;
      this.leaderGauge?.set({ election: name }, 0);
      const why = lockSignal.aborted
        ? 'leadership lost'
        : election.stopping.aborted
          ? `handed over (${String(election.stopping.reason)})`
          : 'the loop returned';
      this.logger.log(`No longer leading "${name}" (fencing token ${lock.fencingToken}): ${why}`);
    }
  }
}

class Election {
  leading = false;
  done: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();

  constructor(
    readonly name: string,
    readonly loop: LeaderLoop,
    readonly options: LeaderOptions,
  ) {}

  get stopping(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the loop (the lock is then released by `LockService`) and waits for the campaign to end. */
  async stop(reason: string): Promise<void> {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    await this.done;
  }
}
