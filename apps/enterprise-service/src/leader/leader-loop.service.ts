import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { LeaderService, type LockHandle } from '@nestjs-reliability/lock';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/**
 * The reference service's long-lived leader loop: one instance at a time POSTs
 * `{ instance, fencingToken, seq }` to `LEADER_LOOP_TARGET_URL` every `LEADER_LOOP_INTERVAL_MS`; the target is
 * expected to refuse (409) a token lower than one it has accepted.
 */
@Injectable()
export class LeaderLoopService implements OnApplicationBootstrap {
  private readonly logger = new Logger('LeaderLoop');
  private readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    private readonly leaders: LeaderService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { targetUrl, intervalMs, lockTtlMs } = this.config.leaderLoop;
    if (!targetUrl) return;
    this.leaders.runAsLeader('leader-loop', (signal, lock) => this.lead(targetUrl, intervalMs, signal, lock), {
      ttlMs: lockTtlMs,
    });
  }

  private async lead(url: string, intervalMs: number, signal: AbortSignal, lock: LockHandle): Promise<void> {
    for (let seq = 0; !signal.aborted; seq++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instance: this.instance, fencingToken: lock.fencingToken, seq }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(intervalMs)]),
        });
        await response.body?.cancel();
        if (response.status === 409) {
          this.logger.warn(`The target refused fencing token ${lock.fencingToken}: a newer leader has written`);
        }
      } catch (error) {
        if (!signal.aborted) this.logger.warn(`Leader write failed: ${(error as Error).message}`);
      }
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
