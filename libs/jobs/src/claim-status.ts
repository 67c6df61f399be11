/** What decides whether a worker can claim work now. */
export interface WorkerState {
  readonly closing: boolean;
  readonly running: boolean;
  readonly paused: boolean;
  /** ioredis status of the worker's connection (`ready` when usable), or undefined before it exists. */
  readonly connection: string | undefined;
}

export type ClaimStatus = { readonly canClaim: true } | { readonly canClaim: false; readonly reason: string };

/** Whether a worker of `queue` can claim a job now, and why not: the readiness check's verdict for one worker. */
export function claimStatus(queue: string, state: WorkerState): ClaimStatus {
  if (state.closing) return { canClaim: false, reason: `worker of queue "${queue}" is closed` };
  if (state.paused) return { canClaim: false, reason: `worker of queue "${queue}" is paused` };
  if (state.connection !== 'ready') {
    return {
      canClaim: false,
      reason: `queue "${queue}" cannot reach Redis (connection ${state.connection ?? 'not open yet'})`,
    };
  }
  if (!state.running) return { canClaim: false, reason: `worker of queue "${queue}" is not running` };
  return { canClaim: true };
}

/** BullMQ's defaults for the settings that bound recovery. */
export const BULLMQ_DEFAULTS = { lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 1 } as const;

/**
 * Longest time from a worker's death (SIGKILL, OOM, partition, a stall longer than the lock) to its job being back
 * in the wait list, while another worker of the queue runs: its lock expires at most `lockDuration` after the last
 * renewal, and every live worker's stalled check, run each `stalledInterval`, moves a job whose lock has expired
 * back. Claiming it again then takes what a waiting job takes.
 */
export function recoveryBoundMs(options: { lockDuration?: number; stalledInterval?: number }): number {
  return (
    (options.lockDuration ?? BULLMQ_DEFAULTS.lockDuration) +
    (options.stalledInterval ?? BULLMQ_DEFAULTS.stalledInterval)
  );
}
