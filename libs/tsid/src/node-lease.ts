import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { checkInteger, InvalidOptionError } from '@nestjs-reliability/common';
import { NodeIdsExhaustedError } from './node-ids-exhausted.error';
import { ACQUIRE_SCRIPT, INFO_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT } from './node-lease.scripts';
import type { IssueWindow } from './tsid.generator';

export interface NodeLeaseOptions {
  /** An ioredis client owned by the application (connected, or connecting): standalone, Sentinel or Cluster. */
  redis: Redis | Cluster;
  nodeBits: number;
  /** How long a lease lives in Redis without refresh, and how far past its last refresh a holder may issue. */
  ttlMs: number;
  /** Largest difference between the clocks of any two instances, or an instance and Redis. */
  maxClockSkewMs: number;
  /** Key prefix (default `sys:tsid:`); on Redis Cluster it must contain a hash tag, e.g. `{tsid}:`. */
  keyPrefix?: string;
  /**
   * Replicas of the primary that must acknowledge (`WAIT`) an acquire or refresh before its window counts
   * (default 0). Set it to the number of replicas behind Sentinel: then every window in use is on whichever
   * replica is promoted, and an old primary cut off from the others can no longer extend one.
   */
  replicaAcks?: number;
  /** Unix milliseconds; the same clock the generator uses. */
  clock?: () => number;
}

/** `primary-changed`: Redis is not the primary (process and replication history) that granted the window. */
export type RefreshOutcome =
  | { status: 'extended'; until: number }
  | { status: 'lost' }
  | { status: 'stolen'; holder: string }
  | { status: 'primary-changed'; granted: string; current: string };

/** Scripts scan this many node IDs per call, so Redis is never blocked long even with 20 node bits. */
const SCAN_CHUNK = 1024;
/** Longest `WAIT` for replicas (at most a quarter of the TTL): it blocks the connection it runs on. */
const REPLICA_ACK_TIMEOUT_MS = 500;

/**
 * On Redis Cluster every key a lease script touches must be in one slot: the prefix must carry a hash tag (`{…}`),
 * so that `<prefix>hwm` and every `<prefix>node:<n>` hash alike. Returns the prefix; throws naming the option.
 */
export function checkClusterKeyPrefix(scope: string, option: string, prefix: string, redis: Redis | Cluster): string {
  if (redis?.isCluster && !/^[^{]*\{[^}]+\}/.test(prefix))
    throw new InvalidOptionError(scope, option, prefix, 'on Redis Cluster it must contain a hash tag, e.g. "{tsid}:"');
  return prefix;
}

/** The primary's identity, its replication offset and each replica's acknowledged offset, from `INFO`. */
function readReplication(info: string): { identity: string; offset: number; replicaOffsets: number[] } {
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '';
  return {
    identity: `${field('run_id')}:${field('master_replid')}`,
    offset: Number(field('master_repl_offset')),
    replicaOffsets: [...info.matchAll(/^slave\d+:.*\boffset=(\d+)/gm)].map((match) => Number(match[1])),
  };
}

/**
 * One process incarnation's lease of a node ID in Redis (plain TypeScript; `NodeLeaseService` drives it).
 * The grant is an issue window: timestamps strictly after everything earlier holders may have issued
 * (their high-water mark, or the quarantine after Redis lost its data) and up to the send time of the last
 * successful acquire or refresh plus the TTL. A window counts only when granted by the primary that granted the
 * previous one (and, with `replicaAcks`, once replicas hold it). See README.md for why holders never overlap.
 */
export class NodeLease {
  /** Random per incarnation: a restarted pod with the same name must not pass for its predecessor. */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  readonly keyPrefix: string;
  private readonly redis: Redis | Cluster;
  private readonly total: number;
  private readonly ttlMs: number;
  private readonly maxClockSkewMs: number;
  private readonly clock: () => number;
  private readonly replicaAcks: number;
  private held: number | undefined;
  /** Identity (`run_id:master_replid`) of the Redis primary that granted the window. */
  private grantedBy = '';
  private listed = 0;

  constructor(options: NodeLeaseOptions) {
    this.redis = options.redis;
    this.total = 2 ** checkInteger('TsidLease', 'nodeBits', options.nodeBits, 0, 20);
    this.ttlMs = checkInteger('TsidLease', 'ttlMs', options.ttlMs, 100);
    this.maxClockSkewMs = checkInteger('TsidLease', 'maxClockSkewMs', options.maxClockSkewMs, 0);
    this.keyPrefix = checkClusterKeyPrefix('TsidLease', 'keyPrefix', options.keyPrefix ?? 'sys:tsid:', options.redis);
    this.clock = options.clock ?? Date.now;
    this.replicaAcks = checkInteger('TsidLease', 'replicaAcks', options.replicaAcks ?? 0, 0, 100);
  }

  /** The node ID held, or undefined. */
  get nodeId(): number | undefined {
    return this.held;
  }

  /**
   * Replicas the primary listed in `INFO` at the last acknowledged write (0 without `replicaAcks`). More than
   * `replicaAcks` leaves the split-brain case open (see README.md): the service logs it rather than refusing, so that
   * adding a replica does not stop every instance before `replicaAcks` is raised.
   */
  get replicasListed(): number {
    return this.listed;
  }

  nodeKey(nodeId: number): string {
    return `${this.keyPrefix}node:${nodeId}`;
  }

  get highWaterMarkKey(): string {
    return `${this.keyPrefix}hwm`;
  }

  /** Leases a free node ID, starting the scan at a random one; throws `NodeIdsExhaustedError` when none is free. */
  async acquire(): Promise<IssueWindow> {
    if (this.held !== undefined)
      throw new Error(`This lease already holds node ID ${this.held}; acquire once per incarnation.`);
    const start = Math.floor(Math.random() * this.total);
    let held = 0;
    for (let offset = 0; offset < this.total; offset += SCAN_CHUNK) {
      const until = this.clock() + this.ttlMs;
      const count = Math.min(SCAN_CHUNK, this.total - offset);
      const reply = (await this.redis.eval(
        ACQUIRE_SCRIPT,
        1,
        this.highWaterMarkKey,
        `${this.keyPrefix}node:`,
        this.token,
        this.ttlMs,
        start + offset,
        count,
        this.total,
        until,
        this.ttlMs + this.maxClockSkewMs,
      )) as [number, number, number, string] | [-1, number, string];
      if (reply[0] >= 0) {
        const [nodeId, highWaterMark, quarantineEnd, grantedBy] = reply as [number, number, number, string];
        const window = { nodeId, after: Math.max(highWaterMark, quarantineEnd), until };
        this.held = nodeId;
        this.grantedBy = grantedBy;
        let acks = 0;
        try {
          acks = await this.replicasHolding(grantedBy);
        } finally {
          // Not counted: give the node ID back (or let its key expire) so that a retry starts afresh.
          if (acks < this.replicaAcks) await this.release(-Infinity, window.after).catch(() => false);
        }
        if (acks < this.replicaAcks) throw this.unacknowledged(nodeId, acks);
        return window;
      }
      held += reply[1];
    }
    throw new NodeIdsExhaustedError(this.total, held);
  }

  /** Compare-and-extend: extends only a key that still holds this incarnation's token. */
  async refresh(): Promise<RefreshOutcome> {
    const nodeId = this.requireHeld();
    const until = this.clock() + this.ttlMs;
    const reply = (await this.redis.eval(
      REFRESH_SCRIPT,
      2,
      this.nodeKey(nodeId),
      this.highWaterMarkKey,
      this.token,
      this.ttlMs,
      nodeId,
      until,
      this.ttlMs + this.maxClockSkewMs,
      this.grantedBy,
    )) as [number, string?];
    if (reply[0] === 1) {
      const acks = await this.replicasHolding(this.grantedBy);
      if (acks < this.replicaAcks) throw this.unacknowledged(nodeId, acks);
      return { status: 'extended', until };
    }
    if (reply[0] === -2) return { status: 'primary-changed', granted: this.grantedBy, current: reply[1] ?? '' };
    return reply[0] === 0 ? { status: 'lost' } : { status: 'stolen', holder: reply[1] ?? '' };
  }

  /**
   * Compare-and-delete, recording `highestIssued` (at least the window start) as the node's high-water mark.
   * Call only after the generator stopped issuing. Returns false when the key was not ours any more.
   */
  async release(highestIssued: number, windowStart: number): Promise<boolean> {
    const nodeId = this.requireHeld();
    this.held = undefined;
    const mark = Math.max(highestIssued, windowStart, 0);
    const reply = await this.redis.eval(
      RELEASE_SCRIPT,
      2,
      this.nodeKey(nodeId),
      this.highWaterMarkKey,
      this.token,
      nodeId,
      mark,
    );
    return reply === 1;
  }

  /**
   * How many replicas of the primary `identity` hold everything written so far (0 without `replicaAcks`). `WAIT`
   * hurries the acknowledgements; the proof is read from `INFO` of that same primary, so a reconnection between
   * the script and `WAIT` (which would then count a fresh connection's nothing) cannot pass for replication.
   */
  private async replicasHolding(identity: string): Promise<number> {
    if (this.replicaAcks === 0) return 0;
    // INFO through a script on the lease's key: on a Cluster the whole pipeline then goes to the node serving the
    // lease's slot, on the connection the lease was written on, and `WAIT` with it.
    const replies = await this.redis
      .pipeline()
      .eval(INFO_SCRIPT, 1, this.highWaterMarkKey)
      .wait(this.replicaAcks, Math.min(REPLICA_ACK_TIMEOUT_MS, Math.floor(this.ttlMs / 4)))
      .eval(INFO_SCRIPT, 1, this.highWaterMarkKey)
      .exec();
    const [before, , after] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string, number, string];
    const written = readReplication(before);
    const acknowledged = readReplication(after);
    if (written.identity !== identity || acknowledged.identity !== identity) return 0;
    this.listed = acknowledged.replicaOffsets.length;
    return acknowledged.replicaOffsets.filter((offset) => offset >= written.offset).length;
  }

  private unacknowledged(nodeId: number, acks: number): Error {
    return new Error(
      `Only ${acks} of the ${this.replicaAcks} Redis replicas required acknowledged the lease of TSID node ID ` +
        `${nodeId} in time; it does not count, as a failover could lose it.`,
    );
  }

  private requireHeld(): number {
    if (this.held === undefined) throw new Error('No TSID node ID is held by this lease; call acquire() first.');
    return this.held;
  }
}
