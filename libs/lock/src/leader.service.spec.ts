import type { DrainableWork, ShutdownCoordinator } from '@nestjs-reliability/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, waitFor, type RedisServer } from '../../../test/support';
import { LeaderService, type Leadership } from './leader.service';
import { LockService } from './lock.service';

const TTL_MS = 600;

/** Each candidate has its own connection, as separate processes would. */
function candidate(redis: RedisServer, shutdown?: ShutdownCoordinator) {
  const client = redis.client();
  const leader = new LeaderService(new LockService({ clients: [client], ttlMs: TTL_MS, retryDelayMs: 50 }), shutdown);
  leader.onModuleInit();
  return { client, leader };
}

/** Records which candidate writes with which token; refuses a token below the highest accepted. */
function fencedLog() {
  const writes: Array<{ who: number; token: number }> = [];
  let highest = 0;
  let rejected = 0;
  return {
    writes,
    get rejected() {
      return rejected;
    },
    write(who: number, token: number) {
      if (token < highest) return void rejected++;
      highest = token;
      writes.push({ who, token });
    },
  };
}

const loopOf =
  (who: number, log: ReturnType<typeof fencedLog>) =>
  async (signal: AbortSignal, lock: { fencingToken: number }): Promise<void> => {
    while (!signal.aborted) {
      log.write(who, lock.fencingToken);
      await sleep(20, undefined, { signal }).catch(() => undefined);
    }
  };

describe('LeaderService on a real Redis', () => {
  let redis: RedisServer;
  let elections: Leadership[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(elections.map((election) => election.stop()));
    elections = [];
    await redis.flushAll();
  });

  /** The index of the one leader (never two), once there is one. */
  const leader = async (timeoutMs?: number): Promise<number> => {
    const found = await waitFor(
      'a leader',
      () => {
        const leading = elections.flatMap((election, i) => (election.isLeader ? [i] : []));
        expect(leading.length).toBeLessThanOrEqual(1);
        return leading.length === 1 && { index: leading[0] };
      },
      timeoutMs,
    );
    return found.index;
  };

  it('runs one leader at a time, releases the lock at once when the leader stops, so a standby takes over', async () => {
    const log = fencedLog();
    // A TTL far beyond leader()'s wait: a standby can only take over in time if the lock was released, not expired.
    const ttlMs = 120_000;
    elections = [0, 1, 2].map((i) => candidate(redis).leader.runAsLeader('sweeper', loopOf(i, log), { ttlMs }));
    const first = await leader();
    await elections[first].stop();
    const second = await leader();
    expect(second).not.toBe(first);
    const tokens = log.writes.map(({ token }) => token);
    expect(new Set(log.writes.map(({ who }) => who))).toEqual(new Set([first, second]));
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
  });

  it('aborts the leader’s loop the moment an extension fails, and a standby takes over', async () => {
    const log = fencedLog();
    const candidates = [0, 1, 2].map(() => candidate(redis));
    let aborted: unknown;
    elections = candidates.map(({ leader }, i) =>
      leader.runAsLeader('sweeper', async (signal, lock) => {
        await loopOf(i, log)(signal, lock);
        aborted = signal.reason;
      }),
    );
    const first = await leader();
    // The leader's Redis goes away: its next extension fails.
    candidates[first].client.disconnect();
    await waitFor('the leader to stop leading', () => !elections[first].isLeader);
    expect((aborted as Error).name).toBe('LockLostError');
    const second = await leader(TTL_MS * 5);
    expect(second).not.toBe(first);
    expect(log.rejected).toBe(0);
  });

  it('hands over as soon as graceful shutdown begins, and stops standing', async () => {
    // The coordinator as @nestjs-reliability/shutdown drives registered work: stopAccepting when shutdown begins.
    const works: DrainableWork[] = [];
    const shutdown = {
      isShuttingDown: false,
      shutdown: () => undefined,
      registerWork: (work: DrainableWork) => works.push(work),
    };
    const log = fencedLog();
    elections = [candidate(redis, shutdown).leader.runAsLeader('sweeper', loopOf(0, log))];
    await waitFor('the first candidate to lead', () => elections[0].isLeader);
    for (const work of works) work.stopAccepting();
    await Promise.all(works.map((work) => work.whenIdle()));
    expect(elections[0].isLeader).toBe(false);
    // Released, not left to expire; no other candidate stands yet, so nothing can have taken it since.
    expect(await redis.command(['EXISTS', 'lock:{sweeper}'])).toBe('0');
    elections.push(candidate(redis).leader.runAsLeader('sweeper', loopOf(1, log)));
    await waitFor('the second candidate to lead', () => elections[1].isLeader);
    expect(log.writes.map(({ who }) => who)).toEqual(expect.arrayContaining([0, 1]));
  });
});
