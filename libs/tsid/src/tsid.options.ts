import type { Cluster, Redis } from 'ioredis';
import { checkInteger, checkKeyPrefix, InvalidOptionError } from '@nestjs-reliability/common';
import { checkClusterKeyPrefix } from './node-lease';
import { DEFAULT_NODE_BITS, DEFAULT_TSID_EPOCH } from './tsid.codec';

export interface TsidLeaseOptions {
  /**
   * The application's ioredis client (e.g. `inject: [getRedisToken('default')]` in `forRootAsync`): standalone,
   * Sentinel, TLS or Cluster.
   */
  redis: Redis | Cluster;
  /** Lease length in Redis, and how long past its last successful refresh an instance may issue (default 30 000). */
  ttlMs?: number;
  /** How often the lease is checked and extended (default `ttlMs / 3`). */
  refreshIntervalMs?: number;
  /** Redis key prefix (default `sys:tsid:`); on Redis Cluster it must contain a hash tag such as `{tsid}:`. */
  keyPrefix?: string;
  /**
   * Replicas that must acknowledge a lease write before it counts (default 0). Behind Sentinel, set it to the
   * number of replicas so that no failover can lose a window in use (see README, "Failover").
   */
  replicaAcks?: number;
}

export interface TsidModuleOptions {
  /** Bits of the node ID, 0–20 (default 10); the counter gets the rest of 22. The same on every instance. */
  nodeBits?: number;
  /** Unix milliseconds of timestamp 0 (default 2020-01-01T00:00:00Z). The same on every instance. */
  epoch?: number;
  /** A fixed node ID (e.g. a StatefulSet ordinal): no lease is taken. Exactly one of `nodeId` and `lease`. */
  nodeId?: number;
  /** Lease a node ID in Redis. */
  lease?: TsidLeaseOptions;
  /** Largest clock difference between any two instances or an instance and Redis (default 1000 ms). */
  maxClockSkewMs?: number;
  /** How far the issued timestamp may run ahead of a clock that stepped back (default 1000 ms). */
  maxClockBackwardMs?: number;
  /** Added to this process's clock. For skew tests only; never set it in production. */
  clockOffsetMs?: number;
  /** Ends the process when the lease is lost and no `ShutdownService` is available (default `process.exit`). */
  exit?: (code: number) => void;
}

export interface ResolvedTsidOptions {
  nodeBits: number;
  epoch: number;
  nodeId: number | undefined;
  lease: (Required<Omit<TsidLeaseOptions, 'redis'>> & { redis: Redis | Cluster }) | undefined;
  maxClockSkewMs: number;
  maxClockBackwardMs: number;
  clock: () => number;
  exit: (code: number) => void;
}

/** The defaults, declared once (`lease.refreshIntervalMs` defaults to a third of `lease.ttlMs`). */
export const TSID_DEFAULTS = {
  nodeBits: DEFAULT_NODE_BITS,
  epoch: DEFAULT_TSID_EPOCH,
  lease: { ttlMs: 30_000, keyPrefix: 'sys:tsid:', replicaAcks: 0 },
  maxClockSkewMs: 1_000,
  maxClockBackwardMs: 1_000,
  clockOffsetMs: 0,
} as const;

export function resolveTsidOptions(options: TsidModuleOptions): ResolvedTsidOptions {
  const scope = 'TsidModule';
  const nodeBits = checkInteger(scope, 'nodeBits', options.nodeBits ?? TSID_DEFAULTS.nodeBits, 0, 20);
  if ((options.nodeId === undefined) === (options.lease === undefined)) {
    throw new InvalidOptionError(
      scope,
      'nodeId',
      options.nodeId,
      'set either a static nodeId or lease options, not both',
    );
  }
  const nodeId =
    options.nodeId === undefined ? undefined : checkInteger(scope, 'nodeId', options.nodeId, 0, 2 ** nodeBits - 1);
  let lease: ResolvedTsidOptions['lease'];
  if (options.lease) {
    const ttlMs = checkInteger(scope, 'lease.ttlMs', options.lease.ttlMs ?? TSID_DEFAULTS.lease.ttlMs, 100);
    const refreshIntervalMs = checkInteger(
      scope,
      'lease.refreshIntervalMs',
      options.lease.refreshIntervalMs ?? Math.floor(ttlMs / 3),
      10,
      ttlMs - 1,
    );
    if (!options.lease.redis)
      throw new InvalidOptionError(scope, 'lease.redis', options.lease.redis, 'it must be an ioredis client');
    lease = {
      redis: options.lease.redis,
      ttlMs,
      refreshIntervalMs,
      keyPrefix: checkClusterKeyPrefix(
        scope,
        'lease.keyPrefix',
        checkKeyPrefix(scope, 'lease.keyPrefix', options.lease.keyPrefix ?? TSID_DEFAULTS.lease.keyPrefix),
        options.lease.redis,
      ),
      replicaAcks: checkInteger(
        scope,
        'lease.replicaAcks',
        options.lease.replicaAcks ?? TSID_DEFAULTS.lease.replicaAcks,
        0,
        100,
      ),
    };
  }
  const offset = checkInteger(
    scope,
    'clockOffsetMs',
    options.clockOffsetMs ?? TSID_DEFAULTS.clockOffsetMs,
    -86_400_000,
    86_400_000,
  );
  return {
    nodeBits,
    epoch: options.epoch ?? TSID_DEFAULTS.epoch,
    nodeId,
    lease,
    maxClockSkewMs: checkInteger(scope, 'maxClockSkewMs', options.maxClockSkewMs ?? TSID_DEFAULTS.maxClockSkewMs, 0),
    maxClockBackwardMs: checkInteger(
      scope,
      'maxClockBackwardMs',
      options.maxClockBackwardMs ?? TSID_DEFAULTS.maxClockBackwardMs,
      0,
      3_600_000,
    ),
    clock: offset === 0 ? Date.now : () => Date.now() + offset,
    exit: options.exit ?? ((code) => process.exit(code)),
  };
}
