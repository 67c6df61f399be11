import { checkInteger, checkKeyPrefix, checkNumber, InvalidOptionError } from '@nestjs-reliability/common';
import type { LockClient } from './quorum-lock';

export interface LockModuleOptions {
  /**
   * Independent Redis masters (not replicas of each other): one for a simple lock, or an odd number ≥ 3 for
   * Redlock's quorum, which keeps working while a minority of them is down. An ioredis `Cluster` counts as one:
   * the lock's keys carry a hash tag, so each script runs in one slot.
   */
  clients: LockClient[];
  /** Prefix of every lock key (`<prefix>{<resource>}`, and `<prefix>{<resource>}:fence` for the fencing counter). Default `lock:`. */
  keyPrefix?: string;
  /** Lock lifetime; a held lock is extended while its routine runs. Default 30 000 ms. */
  ttlMs?: number;
  /** Further acquisition attempts when the lock is busy (0: try once and give up). Default 0. */
  retryCount?: number;
  /** Delay between acquisition attempts, ± `retryJitterMs`. Defaults 200 and 100 ms. */
  retryDelayMs?: number;
  retryJitterMs?: number;
  /** Share of the TTL assumed lost to clock drift between the Redis nodes. Default 0.01. */
  driftFactor?: number;
  /**
   * Replicas of each lock node's primary that must acknowledge (`WAIT`) an acquisition before it counts, so a
   * Sentinel or Cluster failover cannot lose the fencing counter or let a demoted primary grant the lock. Default 0
   * (independent masters without replicas); set it to the replica count for a Sentinel-managed Redis.
   */
  replicaAcks?: number;
}

export type ResolvedLockOptions = Required<LockModuleOptions>;

/** The defaults, declared once. */
export const LOCK_DEFAULTS = {
  keyPrefix: 'lock:',
  ttlMs: 30_000,
  retryCount: 0,
  retryDelayMs: 200,
  retryJitterMs: 100,
  driftFactor: 0.01,
  replicaAcks: 0,
} as const;

const SCOPE = 'LockModule';

export function resolveLockOptions(options: LockModuleOptions): ResolvedLockOptions {
  const clients = options.clients as unknown;
  if (!Array.isArray(clients) || clients.length === 0 || (clients.length > 1 && clients.length % 2 === 0)) {
    throw new InvalidOptionError(
      SCOPE,
      'clients',
      Array.isArray(clients) ? `${clients.length} clients` : clients,
      'give one Redis client, or an odd number of at least 3 independent masters for a quorum',
    );
  }
  const ttlMs = checkInteger(SCOPE, 'ttlMs', options.ttlMs ?? LOCK_DEFAULTS.ttlMs, 200);
  return {
    clients: options.clients,
    keyPrefix: checkLockKeyPrefix(options.keyPrefix ?? LOCK_DEFAULTS.keyPrefix),
    ttlMs,
    retryCount: checkInteger(SCOPE, 'retryCount', options.retryCount ?? LOCK_DEFAULTS.retryCount, 0),
    retryDelayMs: checkInteger(SCOPE, 'retryDelayMs', options.retryDelayMs ?? LOCK_DEFAULTS.retryDelayMs, 0),
    retryJitterMs: checkInteger(SCOPE, 'retryJitterMs', options.retryJitterMs ?? LOCK_DEFAULTS.retryJitterMs, 0),
    driftFactor: checkNumber(SCOPE, 'driftFactor', options.driftFactor ?? LOCK_DEFAULTS.driftFactor, 0, 0.5),
    replicaAcks: checkInteger(SCOPE, 'replicaAcks', options.replicaAcks ?? LOCK_DEFAULTS.replicaAcks, 0, 100),
  };
}

/** Braces would move the Cluster hash tag off the resource name. */
function checkLockKeyPrefix(value: unknown): string {
  const prefix = checkKeyPrefix(SCOPE, 'keyPrefix', value);
  if (/[{}]/.test(prefix)) {
    throw new InvalidOptionError(
      SCOPE,
      'keyPrefix',
      prefix,
      'it must not contain { or } (the lock adds its own hash tag)',
    );
  }
  return prefix;
}
