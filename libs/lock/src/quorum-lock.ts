import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';

/** An ioredis client of one independent Redis (or one Cluster: the lock's keys share a slot). */
export type LockClient = Redis | Cluster;

// Every script touches only the keys it is given, and both keys share the hash tag `{resource}`: one slot, so
// each script runs on one Cluster node.
// Acquire: SET NX PX, then INCR the resource's counter: {1, counter}. When another value holds the key: {0, counter},
// so the next holder's token can exceed it even where this node cannot grant.
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}`;
// Raises the counter to the token just handed out, on every node that answers: a later majority then meets at
// least one node that knows it, even when another node restarted empty (see the README).
const RAISE = `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface QuorumLockOptions {
  keyPrefix: string;
  retryCount: number;
  retryDelayMs: number;
  retryJitterMs: number;
  driftFactor: number;
  replicaAcks: number;
}

/** A lock held on a majority of the nodes. */
export interface Lease {
  readonly resource: string;
  /** Random value that identifies this holder on every node. */
  readonly value: string;
  /** Strictly greater than the token of every earlier holder of the resource (see the README for the limits). */
  readonly fencingToken: number;
  /** `performance.now()` after which the lock may be held by someone else. */
  validUntil: number;
}

export type Refusal = 'busy' | 'unavailable';

/** Longest `WAIT` for replicas (at most a quarter of the TTL): it blocks the connection it runs on. */
const REPLICA_ACK_TIMEOUT_MS = 500;

/** One node's answer to a script: its reply, or the error that stood for it (down, timed out). */
type Vote = { ok: true; reply: unknown } | { ok: false; error: unknown };

/**
 * The Redlock algorithm over N independent Redis nodes, with fencing tokens: acquire on every node with one script
 * per node, succeed on a majority within the validity time (ttl - elapsed - drift), extend and release by value.
 * Plain TypeScript: `LockService` is its Nest face.
 */
export class QuorumLock {
  readonly quorum: number;

  constructor(
    private readonly clients: readonly LockClient[],
    private readonly options: QuorumLockOptions,
  ) {
    this.quorum = Math.floor(clients.length / 2) + 1;
  }

  lockKey(resource: string): string {
    return `${this.options.keyPrefix}{${resource}}`;
  }

  fenceKey(resource: string): string {
    return `${this.lockKey(resource)}:fence`;
  }

  /** Takes the lock, retrying `retryCount` times with jitter; a refusal says whether it is held or Redis failed. */
  async acquire(resource: string, ttlMs: number, retryCount = this.options.retryCount): Promise<Lease | Refusal> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(resource, ttlMs);
      if (typeof outcome !== 'string' || attempt >= retryCount) return outcome;
      await sleep(this.retryDelay());
    }
  }

  /** `base` (default `retryDelayMs`) ± `retryJitterMs`, so contenders spread out. */
  retryDelay(base = this.options.retryDelayMs): number {
    return Math.max(0, base + Math.round((Math.random() * 2 - 1) * this.options.retryJitterMs));
  }

  /** Moves the lease's expiry to `ttlMs` from now on a majority; false when that failed (the lock is lost). */
  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    const start = performance.now();
    const votes = await this.everyNode(EXTEND, [this.lockKey(lease.resource)], [lease.value, ttlMs], ttlMs);
    const validUntil = start + ttlMs - this.drift(ttlMs);
    if (granted(votes) < this.quorum || validUntil <= performance.now()) return false;
    lease.validUntil = validUntil;
    return true;
  }

  /**
   * Deletes the key where it still holds this lease's value; another holder's key is never touched. Throws when a
   * majority could not be reached (the lock then expires by itself).
   */
  async release(lease: Lease, timeoutMs: number): Promise<void> {
    const votes = await this.everyNode(RELEASE, [this.lockKey(lease.resource)], [lease.value], timeoutMs);
    const failures = votes.flatMap((vote) => (vote.ok ? [] : [vote.error]));
    if (failures.length >= this.quorum) throw failures[0];
  }

  private async attempt(resource: string, ttlMs: number): Promise<Lease | Refusal> {
    const value = randomBytes(16).toString('hex');
    const start = performance.now();
    const keys = [this.lockKey(resource), this.fenceKey(resource)];
    const votes = await this.everyNode(ACQUIRE, keys, [value, ttlMs], ttlMs, this.options.replicaAcks);
    const validUntil = start + ttlMs - this.drift(ttlMs);
    const answers = votes.flatMap((vote) => (vote.ok ? [vote.reply as [number, number]] : []));
    const grants = answers.filter(([won]) => won === 1).length;
    if (grants >= this.quorum && validUntil > performance.now()) {
      // Above every counter heard of, granting or not: one node that restarted empty cannot hand out an old token.
      const fencingToken = Math.max(...answers.map(([won, counter]) => (won === 1 ? counter : counter + 1)));
      if (this.clients.length > 1) await this.everyNode(RAISE, [keys[1]], [fencingToken], ttlMs);
      if (validUntil > performance.now()) return { resource, value, fencingToken, validUntil };
    }
    // Too few nodes, or too late: undo what was taken so the next attempt (ours or another's) is not blocked.
    await this.everyNode(RELEASE, [keys[0]], [value], ttlMs);
    return answers.length - grants >= this.quorum ? 'busy' : 'unavailable';
  }

  /** Clock drift between the nodes, plus 2 ms for Redis's own expiry precision (as in the Redlock paper). */
  private drift(ttlMs: number): number {
    return Math.round(ttlMs * this.options.driftFactor) + 2;
  }

  /**
   * Runs the script on every node at once; a node that fails or does not answer within `timeoutMs` votes no. With
   * `replicaAcks`, a node also votes no unless that many of its replicas acknowledged the script's writes.
   */
  private everyNode(
    script: string,
    keys: string[],
    args: (string | number)[],
    timeoutMs: number,
    replicaAcks = 0,
  ): Promise<Vote[]> {
    return Promise.all(
      this.clients.map(async (client): Promise<Vote> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        const call =
          replicaAcks > 0
            ? this.evalAcknowledged(client, script, keys, args, replicaAcks, timeoutMs)
            : client.eval(script, keys.length, ...keys, ...args);
        try {
          return { ok: true, reply: await Promise.race([call, timeout]) };
        } catch (error) {
          return { ok: false, error };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  /**
   * The script, then `WAIT` on the same connection (one pipeline; on a Cluster it goes to the keys' node): a grant
   * whose fencing counter a failover could lose, or made by a primary that was demoted meanwhile (it has no
   * replicas left), is refused.
   */
  private async evalAcknowledged(
    client: LockClient,
    script: string,
    keys: string[],
    args: (string | number)[],
    replicaAcks: number,
    ttlMs: number,
  ): Promise<unknown> {
    const replies = await client
      .pipeline()
      .eval(script, keys.length, ...keys, ...args)
      .wait(replicaAcks, Math.max(1, Math.min(REPLICA_ACK_TIMEOUT_MS, Math.floor(ttlMs / 4))))
      .exec();
    const [[scriptError, reply], [waitError, acks]] = replies as [[Error | null, unknown], [Error | null, number]];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if ((reply as [number, number])[0] === 1 && acks < replicaAcks) {
      throw new Error(`only ${acks} of the ${replicaAcks} replicas required acknowledged the lock`);
    }
    return reply;
  }
}

const granted = (votes: Vote[]): number => votes.filter((vote) => vote.ok && Number(vote.reply) === 1).length;
