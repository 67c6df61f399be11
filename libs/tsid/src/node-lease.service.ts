import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import {
  type CounterMetric,
  ExitCode,
  METRICS_RECORDER,
  type MetricsRecorder,
  SHUTDOWN_COORDINATOR,
  type ShutdownCoordinator,
  STARTUP_GATE,
  type StartupGate,
  type StartupHold,
} from '@nestjs-reliability/common';
import type { Cluster, Redis } from 'ioredis';
import { isNodeIdsExhaustedError } from './node-ids-exhausted.error';
import { NodeLease, type RefreshOutcome } from './node-lease';
import { RESOLVED_TSID_OPTIONS, TSID_GENERATOR } from './tsid.module-definition';
import type { ResolvedTsidOptions } from './tsid.options';
import { type IssueWindow, TsidGenerator } from './tsid.generator';

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Drives the Redis lease of the node ID: acquires it in the background at bootstrap (holding the startup gate
 * until it is held), refreshes it from a scheduled interval, stops issuing and shuts the instance down with
 * exit code 75 when it is lost or stolen, and releases it on graceful shutdown if it still holds it.
 */
@Injectable()
export class NodeLeaseService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TsidLease');
  private readonly lease: NodeLease | undefined;
  /** The lease's own connection with `replicaAcks`: its `WAIT` must not hold up the app's commands. */
  private readonly connection: Redis | Cluster | undefined;
  private readonly lost: CounterMetric<'reason'> | undefined;
  private readonly stolen: CounterMetric | undefined;
  private replicaAcksShort = false;
  /** The refresh timer: the module's own, never the app's scheduler (which it must not create or share). */
  private refreshTimer: NodeJS.Timeout | undefined;
  private startupHold: StartupHold | undefined;
  private window: IssueWindow | undefined;
  private refreshing = false;
  private refreshFailing = false;
  private stopped = false;

  constructor(
    @Inject(RESOLVED_TSID_OPTIONS) private readonly options: ResolvedTsidOptions,
    @Inject(TSID_GENERATOR) private readonly generator: TsidGenerator,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
    @Optional() @Inject(SHUTDOWN_COORDINATOR) private readonly shutdown?: ShutdownCoordinator,
    @Optional() @Inject(STARTUP_GATE) private readonly startupGate?: StartupGate,
  ) {
    if (!options.lease) return;
    const shared = options.lease.redis;
    // Connected at bootstrap, so that nothing is opened for a module that never starts.
    if ((options.lease.replicaAcks ?? 0) > 0)
      this.connection = shared.isCluster
        ? (shared as Cluster).duplicate([], { lazyConnect: true })
        : (shared as Redis).duplicate({ lazyConnect: true });
    this.lease = new NodeLease({
      redis: this.connection ?? shared,
      nodeBits: options.nodeBits,
      ttlMs: options.lease.ttlMs,
      maxClockSkewMs: options.maxClockSkewMs,
      keyPrefix: options.lease.keyPrefix,
      replicaAcks: options.lease.replicaAcks,
      clock: options.clock,
    });
    const clock = options.clock;
    metrics?.gauge({
      name: 'tsid_lock_ttl_seconds',
      help: 'Seconds this instance may still issue TSIDs without another successful lease refresh; 0 when it may not.',
      collect() {
        const window = generator.window;
        this.set(window ? Math.max(0, (window.until - clock()) / 1000) : 0);
      },
    });
    this.lost = metrics?.counter({
      name: 'tsid_lock_lost_total',
      help:
        'TSID node leases given up, by reason: key-missing (the key is gone from Redis) or primary-changed (Redis is ' +
        'not the primary that granted the lease: a failover or restart).',
      labelNames: ['reason'],
    });
    this.stolen = metrics?.counter({
      name: 'tsid_lock_stolen_total',
      help: 'TSID node leases found held by another instance.',
    });
    this.lost?.inc({ reason: 'key-missing' }, 0);
    this.lost?.inc({ reason: 'primary-changed' }, 0);
    this.stolen?.inc(0);
  }

  /** This incarnation's lease token, or undefined with a static node ID. */
  get token(): string | undefined {
    return this.lease?.token;
  }

  onModuleInit(): void {
    if (this.lease) this.startupHold = this.startupGate?.hold('tsid');
  }

  onApplicationBootstrap(): void {
    if (this.connection) {
      // Its failures surface as failed lease commands (logged); it reconnects with the app client's strategy.
      this.connection.on('error', () => undefined);
      this.connection.connect().catch(() => undefined);
    }
    if (this.lease) void this.acquire(this.lease);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    try {
      await this.releaseLease();
    } finally {
      this.connection?.disconnect();
    }
  }

  private async releaseLease(): Promise<void> {
    const window = this.window;
    if (!this.lease || !window) return;
    this.window = undefined;
    this.generator.revoke('the instance is shutting down');
    try {
      const released = await this.lease.release(this.generator.lastTimestamp, window.after);
      this.logger.log(
        released
          ? `Released TSID node ID ${window.nodeId}`
          : `TSID node ID ${window.nodeId} was no longer held by this instance; left it untouched`,
      );
    } catch (error) {
      this.logger.warn(
        `Could not release TSID node ID ${window.nodeId} (its lease expires by itself): ${describe(error)}`,
      );
    }
  }

  private async acquire(lease: NodeLease): Promise<void> {
    const redis = this.connection ?? this.options.lease!.redis;
    for (let attempt = 1, delay = 100; !this.stopped; attempt++, delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      // Wait for the connection instead of failing attempts against it (the app's client may not queue commands).
      if (!(await whenReady(redis, delay))) continue;
      try {
        const window = await lease.acquire();
        if (this.stopped) {
          await lease.release(-Infinity, window.after);
          return;
        }
        this.window = window;
        this.generator.assign(window);
        this.checkReplicaAcks(lease);
        this.startupHold?.release();
        const waitMs = window.after - this.options.clock();
        this.logger.log(
          `Leased TSID node ID ${window.nodeId} (token ${lease.token})` +
            (waitMs > 0
              ? `; issuing from ${new Date(window.after + 1).toISOString()}, after earlier holders' range`
              : ''),
        );
        this.refreshTimer = setInterval(() => void this.refresh(lease), this.options.lease!.refreshIntervalMs).unref();
        return;
      } catch (error) {
        if (isNodeIdsExhaustedError(error)) {
          this.logger.error(error.message);
          this.terminate(error.message, ExitCode.Fatal);
          return;
        }
        this.logger.warn(
          `Could not lease a TSID node ID yet (attempt ${attempt}, retrying in ${delay} ms): ${describe(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  private async refresh(lease: NodeLease): Promise<void> {
    if (this.refreshing || this.stopped || !this.window) return;
    this.refreshing = true;
    try {
      const outcome = await lease.refresh();
      if (this.stopped) return;
      if (outcome.status === 'extended') {
        this.generator.extend(outcome.until);
        this.checkReplicaAcks(lease);
        if (this.refreshFailing) this.logger.log(`TSID lease of node ID ${this.window.nodeId} refreshed again`);
        this.refreshFailing = false;
      } else {
        this.onLeaseGone(lease, this.window.nodeId, outcome);
      }
    } catch (error) {
      if (!this.refreshFailing) {
        this.logger.warn(
          `Could not refresh the TSID lease of node ID ${this.window?.nodeId} (IDs stop at ` +
            `${new Date(this.generator.window?.until ?? 0).toISOString()} unless a refresh succeeds): ${describe(error)}`,
        );
      }
      this.refreshFailing = true;
    } finally {
      this.refreshing = false;
    }
  }

  /** Logged once each time the primary starts listing more replicas than `replicaAcks` (a split brain risk). */
  private checkReplicaAcks(lease: NodeLease): void {
    const acks = this.options.lease!.replicaAcks ?? 0;
    const listed = lease.replicasListed;
    const short = acks > 0 && listed > acks;
    if (short && !this.replicaAcksShort)
      this.logger.error(
        `The Redis primary lists ${listed} replicas but lease.replicaAcks is ${acks}: a primary cut off with ${acks} ` +
          `of them can extend a lease past a new primary's quarantine (duplicate IDs); set replicaAcks to ${listed}`,
      );
    this.replicaAcksShort = short;
  }

  private onLeaseGone(
    lease: NodeLease,
    nodeId: number,
    outcome: Exclude<RefreshOutcome, { status: 'extended' }>,
  ): void {
    const what =
      outcome.status === 'lost'
        ? `lost (its key ${lease.nodeKey(nodeId)} is gone from Redis)`
        : outcome.status === 'stolen'
          ? `stolen (its key ${lease.nodeKey(nodeId)} holds another instance's token)`
          : 'lost (Redis is not the primary that granted it: after a failover or restart its latest writes may be gone)';
    const reason = `the TSID lease of node ID ${nodeId} was ${what}`;
    this.generator.revoke(`${reason}; the instance is shutting down to lease again`);
    this.window = undefined;
    this.stopped = true;
    clearInterval(this.refreshTimer);
    if (outcome.status === 'stolen') this.stolen?.inc();
    else this.lost?.inc({ reason: outcome.status === 'lost' ? 'key-missing' : 'primary-changed' });
    this.logger.error({
      msg: `Stopped issuing TSIDs: ${reason}; shutting down with exit code ${ExitCode.LeaseLost}`,
      nodeId,
      expected: lease.token,
      actual: outcome.status === 'stolen' ? outcome.holder : null,
      ...(outcome.status === 'primary-changed' && { grantedBy: outcome.granted, primary: outcome.current }),
    });
    this.terminate(reason, ExitCode.LeaseLost);
  }

  private terminate(reason: string, code: ExitCode): void {
    if (this.shutdown) this.shutdown.shutdown(reason, code);
    else this.options.exit(code);
  }
}

/** Resolves true as soon as `redis` is ready, or with its readiness after `timeoutMs`. */
function whenReady(redis: Redis | Cluster, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve(redis.status === 'ready');
    };
    const timer = setTimeout(done, timeoutMs).unref();
    redis.once('ready', done);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
