import { checkInteger } from '@nestjs-reliability/common';
import { encode64, PAIR } from './crockford';
import { ClockMovedBackwardsError } from './clock-moved-backwards.error';
import { MAX_TIMESTAMP, NODE_AND_COUNTER_BITS, TsidCodec, type TsidLayoutOptions } from './tsid.codec';
import { TsidUnavailableError } from './tsid-unavailable.error';

export interface TsidGeneratorOptions extends TsidLayoutOptions {
  /** Unix milliseconds (default `Date.now`). Tests pass their own; the Nest module adds the configured offset. */
  clock?: () => number;
  /**
   * How far the issued timestamp may run ahead of the clock (default 1000 ms). A clock stepping back by up to
   * this much is absorbed by issuing from the last timestamp; beyond it `generate()` throws `ClockMovedBackwardsError`.
   */
  maxClockBackwardMs?: number;
  /** Called before a `ClockMovedBackwardsError` is thrown (count it, log it). */
  onClockBackwards?: (behindMs: number) => void;
}

/** The timestamps a node ID may be used for: strictly after `after`, up to and including `until` (Unix ms). */
export interface IssueWindow {
  nodeId: number;
  after: number;
  until: number;
}

/** Whether an ID could be issued now and with which node ID, or why not (the message `generate()` would throw). */
export type TsidStatus = { available: true; nodeId: number; until: number } | { available: false; reason: string };

/**
 * Strictly monotonic TSIDs for one process. Every call reads the clock once; the string is built from a prefix
 * cached per millisecond plus one to three table lookups, with no BigInt.
 *
 * Uniqueness across processes comes from the issue window (see README): `generate()` checks synchronously that
 * the timestamp lies inside it, so a paused process, or one whose lease was revoked a moment ago, refuses.
 */
export class TsidGenerator {
  readonly codec: TsidCodec;
  /** IDs issued so far (a plain number; metrics read it on scrape). */
  issued = 0;

  private readonly clock: () => number;
  private readonly maxBackwardMs: number;
  private readonly onClockBackwards?: (behindMs: number) => void;
  private readonly maxCounter: number;
  private readonly suffixPairs: 1 | 2 | 3;

  private last = -Infinity;
  private counter = 0;
  /** The clock may not fall below this while we keep issuing from `last`. */
  private minClock = -Infinity;
  private nodeId = -1;
  private after = Infinity;
  private until = -Infinity;
  private unavailableReason = 'no node ID has been assigned yet';
  /** Text of the current millisecond's ID up to the characters the counter touches, and the low bits below it. */
  private prefix = '';
  private lowBase = 0;
  /** `prefix` plus the characters above the last two, for `lowBase | counter` >>> 10 = `headKey`. */
  private head = '';
  private headKey = -1;

  constructor(options: TsidGeneratorOptions = {}) {
    this.codec = new TsidCodec(options);
    this.clock = options.clock ?? Date.now;
    this.maxBackwardMs = checkInteger('Tsid', 'maxClockBackwardMs', options.maxClockBackwardMs ?? 1000, 0, 3_600_000);
    this.onClockBackwards = options.onClockBackwards;
    this.maxCounter = this.codec.maxCounter;
    const counterBits = this.codec.counterBits;
    this.suffixPairs = counterBits <= 10 ? 1 : counterBits <= 20 ? 2 : 3;
  }

  /** The node ID in use, or -1 while none is assigned or after `revoke()`. */
  get currentNodeId(): number {
    return this.until === -Infinity ? -1 : this.nodeId;
  }

  /** The issue window in force, or undefined when none. */
  get window(): IssueWindow | undefined {
    return this.until === -Infinity ? undefined : { nodeId: this.nodeId, after: this.after, until: this.until };
  }

  /** Timestamp (Unix ms) of the last ID issued, or -Infinity. */
  get lastTimestamp(): number {
    return this.issued === 0 ? -Infinity : this.last;
  }

  /** Whether an ID could be issued now, and if not, why (the message `generate()` would throw). */
  status(): TsidStatus {
    const now = Math.max(this.clock(), this.last);
    if (this.until === -Infinity || now > this.until || now <= this.after) {
      return { available: false, reason: this.unavailable(now).message };
    }
    return { available: true, nodeId: this.nodeId, until: this.until };
  }

  /** Starts issuing for `nodeId`, strictly after `after` and up to `until` (use Infinity for a static node ID). */
  assign({ nodeId, after, until }: IssueWindow): void {
    checkInteger('Tsid', 'nodeId', nodeId, 0, this.codec.maxNodeId);
    this.nodeId = nodeId;
    // The next ID moves to a later millisecond, where the new window is checked (and another node ID cannot sort lower).
    this.counter = this.maxCounter;
    this.after = Math.max(after, this.codec.epoch - 1);
    this.until = Math.min(until, this.codec.epoch + MAX_TIMESTAMP);
  }

  /** Moves the end of the window (after a lease refresh); never shortens it. */
  extend(until: number): void {
    if (this.until !== -Infinity) this.until = Math.max(this.until, Math.min(until, this.codec.epoch + MAX_TIMESTAMP));
  }

  /** Stops issuing at once; `generate()` throws `TsidUnavailableError` with `reason` until the next `assign()`. */
  revoke(reason: string): void {
    this.until = -Infinity;
    this.unavailableReason = reason;
  }

  /** A new TSID as 13 Crockford base32 characters. */
  generate(): string {
    const now = this.clock();
    if (now > this.last) this.advance(now);
    else if (this.counter < this.maxCounter && now >= this.minClock && this.last <= this.until) this.counter++;
    else this.sameOrBorrowed(now);
    this.issued++;
    const low = this.lowBase | this.counter;
    // All but the last two characters change only every 1 024 IDs: one concatenation per ID.
    if (low >>> 10 !== this.headKey) this.setHead(low >>> 10);
    return this.head + PAIR[low & 1023];
  }

  /** A new TSID as an unsigned 64-bit bigint (same sequence as `generate()`). */
  generateBigInt(): bigint {
    return this.codec.toBigInt(this.generate());
  }

  private advance(now: number): void {
    if (now > this.until || now <= this.after) throw this.unavailable(now);
    this.last = now;
    this.counter = 0;
    this.minClock = now - this.maxBackwardMs;
    const t = now - this.codec.epoch;
    const hi = Math.floor(t / 1024);
    const lo = (((t % 1024) << NODE_AND_COUNTER_BITS) | (this.nodeId << this.codec.counterBits)) >>> 0;
    this.prefix = encode64(hi, lo).slice(0, 13 - 2 * this.suffixPairs);
    this.lowBase = lo & (2 ** (10 * this.suffixPairs) - 1);
    this.headKey = -1;
  }

  /** The clock has not moved past `last`: next counter value, or the next millisecond once it is used up. */
  private sameOrBorrowed(now: number): void {
    if (now < this.minClock) {
      this.onClockBackwards?.(this.last - now);
      throw new ClockMovedBackwardsError(this.last - now, this.maxBackwardMs);
    }
    if (this.counter < this.maxCounter) {
      if (this.last > this.until || this.last <= this.after) throw this.unavailable(this.last);
      this.counter++;
      return;
    }
    if (now === this.last) {
      // Used up within the current millisecond: wait for the next one (at most 1 ms of spinning).
      let next = now;
      while (next === now) next = this.clock();
      if (next > now) return this.advance(next);
      now = next;
    }
    // The clock is behind `last` (it stepped back): keep going from `last`, never more than maxBackwardMs ahead.
    const next = this.last + 1;
    if (next - now > this.maxBackwardMs) {
      this.onClockBackwards?.(next - now);
      throw new ClockMovedBackwardsError(next - now, this.maxBackwardMs);
    }
    this.advance(next);
  }

  private setHead(high: number): void {
    this.headKey = high;
    if (this.suffixPairs === 1) this.head = this.prefix;
    else if (this.suffixPairs === 2) this.head = this.prefix + PAIR[high & 1023];
    else this.head = this.prefix + PAIR[(high >>> 10) & 1023] + PAIR[high & 1023];
  }

  private unavailable(timestamp: number): TsidUnavailableError {
    if (this.until === -Infinity) return new TsidUnavailableError(`No TSID can be issued: ${this.unavailableReason}.`);
    if (timestamp < this.codec.epoch || timestamp > this.codec.epoch + MAX_TIMESTAMP) {
      return new TsidUnavailableError(`The clock (${iso(timestamp)}) is outside the 42-bit range of the TSID epoch.`);
    }
    if (timestamp <= this.after) {
      return new TsidUnavailableError(
        `No TSID can be issued until ${iso(this.after)} (node ID ${this.nodeId}): earlier timestamps may have been ` +
          'used by its previous holder. Retry shortly.',
      );
    }
    return new TsidUnavailableError(
      `No TSID can be issued: the lease of node ID ${this.nodeId} covers timestamps up to ${iso(this.until)} and ` +
        'has not been refreshed since (is Redis reachable?). Retry shortly.',
    );
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
