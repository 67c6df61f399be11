import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { checkInteger } from '@nestjs-reliability/common';
import { NodeIdsExhaustedError } from './node-ids-exhausted.error';
import { ACQUIRE_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT } from './node-lease.scripts';
import type { IssueWindow } from './tsid.generator';

export interface NodeLeaseOptions {
  /** An ioredis client owned by the application (connected, or connecting). */
  redis: Redis;
  nodeBits: number;
  /** How long a lease lives in Redis without refresh, and how far past its last refresh a holder may issue. */
  ttlMs: number;
  /** Largest difference between the clocks of any two instances, or an instance and Redis. */
  maxClockSkewMs: number;
  /** Key prefix (default `sys:tsid:`); include a hash tag, e.g. `{tsid}:`, on Redis Cluster. */
  keyPrefix?: string;
  /** Unix milliseconds; the same clock the generator uses. */
  clock?: () => number;
}

export type RefreshOutcome =
  { status: 'extended'; until: number } | { status: 'lost' } | { status: 'stolen'; holder: string };

/** Scripts scan this many node IDs per call, so Redis is never blocked long even with 20 node bits. */
const SCAN_CHUNK = 1024;

/**
 * One process incarnation's lease of a node ID in Redis (plain TypeScript; `NodeLeaseService` drives it).
 * The grant is an issue window: timestamps strictly after everything earlier holders may have issued
 * (their high-water mark, or the quarantine after Redis lost its data) and up to the send time of the last
 * successful acquire or refresh plus the TTL. See README.md for why this never lets two holders overlap.
 */
export class NodeLease {
  /** Random per incarnation: a restarted pod with the same name must not pass for its predecessor. */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  readonly keyPrefix: string;
  private readonly redis: Redis;
  private readonly total: number;
  private readonly ttlMs: number;
  private readonly maxClockSkewMs: number;
  private readonly clock: () => number;
  private held: number | undefined;

  constructor(options: NodeLeaseOptions) {
    this.redis = options.redis;
    this.total = 2 ** checkInteger('TsidLease', 'nodeBits', options.nodeBits, 0, 20);
    this.ttlMs = checkInteger('TsidLease', 'ttlMs', options.ttlMs, 100);
    this.maxClockSkewMs = checkInteger('TsidLease', 'maxClockSkewMs', options.maxClockSkewMs, 0);
    this.keyPrefix = options.keyPrefix ?? 'sys:tsid:';
    this.clock = options.clock ?? Date.now;
  }

  /** The node ID held, or undefined. */
  get nodeId(): number | undefined {
    return this.held;
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
      )) as number[];
      if (reply[0] >= 0) {
        const [nodeId, highWaterMark, quarantineEnd] = reply;
        this.held = nodeId;
        return { nodeId, after: Math.max(highWaterMark, quarantineEnd), until };
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
    )) as [number, string?];
    if (reply[0] === 1) return { status: 'extended', until };
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

  private requireHeld(): number {
    if (this.held === undefined) throw new Error('No TSID node ID is held by this lease; call acquire() first.');
    return this.held;
  }
}
