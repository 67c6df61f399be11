import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SentinelGroup, startSentinelGroup, waitFor } from '../../../test/support';
import { LockModule } from './lock.module';
import { currentLock } from './lock.service';
import { WithLock } from './with-lock.decorator';

const TTL_MS = 1_000;
const CHAOS_MS = 10_000;
const NAMES = ['A', 'B', 'C'];
const FAULTS = ['SIGSTOP primary', 'SIGKILL primary', 'restart replica'] as const;

/**
 * The protected resource, fenced: it accepts a write only if its token is at least the highest accepted. Every
 * write also goes to an unchecked twin (the control): what the resource would have accepted without the check.
 */
class Ledger {
  readonly accepted: Array<{ writer: string; token: number }> = [];
  readonly unchecked: Array<{ writer: string; token: number }> = [];
  rejected = 0;
  private highest = 0;

  write(writer: string, token: number): void {
    this.unchecked.push({ writer, token });
    if (token < this.highest) {
      this.rejected++;
      return;
    }
    this.highest = token;
    this.accepted.push({ writer, token });
  }

  lastWriter(): string | undefined {
    return this.accepted.at(-1)?.writer;
  }
}

/** Writes accepted after a write with a higher token: what fencing exists to prevent. */
const outOfOrder = (writes: Ledger['accepted']): number =>
  writes.filter((write, i) => writes.slice(0, i).some((earlier) => earlier.token > write.token)).length;

/** Tokens under which more than one holder's writes were accepted (a lost or split counter could do that). */
const sharedTokens = (writes: Ledger['accepted']): number[] =>
  [...new Set(writes.map((w) => w.token))].filter(
    (token) => new Set(writes.filter((w) => w.token === token).map((w) => w.writer)).size > 1,
  );

interface Hold {
  holder: string;
  token: number;
  /** `performance.now()`: sub-millisecond, so a stalled hold and the one it overlapped never tie. */
  start: number;
  end: number;
}

// One run's state, shared by the three instances (Nest apps in this process) so the resource sees them all.
let ledger = new Ledger();
let holds: Hold[] = [];
// The driver stalls the next holder (a GC pause, a slow call) across a failover; it writes again when let go.
let stall: { holder?: string; release?: () => void; requested: boolean } = { requested: false };

@Injectable()
class LedgerJob {
  @WithLock('ledger', { ttlMs: TTL_MS })
  async write(holder: string): Promise<void> {
    const lock = currentLock()!;
    const start = performance.now();
    ledger.write(holder, lock.fencingToken);
    if (stall.requested && !stall.holder) {
      stall.holder = holder;
      await new Promise<void>((resolve) => (stall.release = resolve));
    } else {
      await sleep(20);
    }
    // No signal check before this write: the stale write a paused holder makes when it resumes.
    ledger.write(holder, lock.fencingToken);
    holds.push({ holder, token: lock.fencingToken, start, end: performance.now() });
  }
}

/** The longest time between two acquisitions by anyone, in seconds: how long the lock could not be had. */
const longestWait = (): string => {
  const starts = holds.map((hold) => hold.start).sort((a, b) => a - b);
  const gaps = starts.slice(1).map((start, i) => start - starts[i]);
  return (Math.max(0, ...gaps) / 1000).toFixed(1);
};

/** Pairs of different holders whose holds overlapped in wall-clock time. */
const overlaps = (): number =>
  holds.filter((a, i) => holds.slice(i + 1).some((b) => a.holder !== b.holder && a.start < b.end && b.start < a.end))
    .length;

async function startInstance(group: SentinelGroup, replicaAcks: number): Promise<INestApplicationContext> {
  const client = new Redis({
    sentinels: group.sentinelList.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host, port: Number(port) };
    }),
    name: group.name,
    // As the reference service does: a demoted primary answers READONLY (reconnect, asking the Sentinels), a
    // paused one holds commands (time them out).
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
    commandTimeout: TTL_MS,
    maxRetriesPerRequest: 1,
    disconnectTimeout: 50,
  });
  client.on('error', () => undefined);
  const app = await NestFactory.createApplicationContext(
    {
      module: class InstanceModule {},
      imports: [LockModule.forRoot({ clients: [client], replicaAcks, isGlobal: true })],
      providers: [LedgerJob],
    },
    { logger: false },
  );
  await app.init();
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    client.disconnect();
  };
  return app;
}

interface Figures {
  failovers: number;
  stalls: number;
  overlaps: number;
  regressions: number;
  sharedTokens: number[];
}

/**
 * 3 instances run `LedgerJob.write` in a loop while the driver pauses the primary past the TTL (with a holder
 * stalled across it), SIGKILLs it and restarts a replica, each fault at least once and until CHAOS_MS.
 */
async function chaos(group: SentinelGroup, replicaAcks: number): Promise<Figures> {
  ledger = new Ledger();
  holds = [];
  const apps = await Promise.all(NAMES.map(() => startInstance(group, replicaAcks)));
  let running = true;
  const workers = NAMES.map(async (name, i) => {
    const job = apps[i].get(LedgerJob);
    while (running) {
      await job.write(name).catch(() => undefined);
      await sleep(5 + Math.random() * 20);
    }
  });
  const faults: Array<{ fault: string; port: number; promoted?: number; rejected: number }> = [];
  try {
    await waitFor('every instance to hold the lock once', () => NAMES.every((n) => holds.some((h) => h.holder === n)));
    const started = Date.now();
    const planned = [...FAULTS];
    while (planned.length > 0 || Date.now() - started < CHAOS_MS) {
      const fault = planned.shift() ?? FAULTS[faults.length % FAULTS.length];
      const primary = await group.primary();
      const event: (typeof faults)[number] = { fault, port: primary.port, rejected: ledger.rejected };
      if (fault === 'SIGSTOP primary') {
        stall = { requested: true };
        const stalled = await waitFor('a holder to stall', () => stall.holder);
        const token = ledger.accepted.at(-1)!.token;
        // Its token reached the replicas, so the next primary counts on from it: the stale write below is then
        // refused whatever `replicaAcks` is.
        await waitFor('the stalled holder’s token on every replica', async () => {
          for (const node of group.nodes.filter((n) => n !== primary)) {
            if (Number(await node.command(['GET', 'lock:{ledger}:fence'])) < token) return false;
          }
          return true;
        });
        const paused = Date.now();
        primary.signal('SIGSTOP');
        event.promoted = (await group.waitForFailover(primary)).port;
        await waitFor('the pause to outlast the lock TTL', () => Date.now() - paused > TTL_MS);
        primary.signal('SIGCONT');
        // Another holder wrote after the stalled one; now the stalled one makes its late write.
        await waitFor('another holder to write', () => ledger.lastWriter() !== stalled, 20_000);
        stall.release!();
        stall = { requested: false };
      } else if (fault === 'SIGKILL primary') {
        await primary.kill();
        event.promoted = (await group.waitForFailover(primary)).port;
        await group.restart(primary);
      } else {
        const replica = group.nodes.find((node) => node !== primary)!;
        event.port = replica.port;
        await group.restart(replica);
      }
      await group.waitForReplicas(2);
      const writes = ledger.accepted.length;
      await waitFor('the lock to be held again after the fault', () => ledger.accepted.length > writes, 20_000);
      event.rejected = ledger.rejected - event.rejected;
      faults.push(event);
    }
  } finally {
    running = false;
    stall.release?.();
    stall = { requested: false };
    await Promise.all(workers);
    await Promise.all(apps.map((app) => app.close()));
  }
  const failovers = faults.filter((f) => f.promoted !== undefined).length;
  // Holds whose token was not above every earlier hold's: the counter went back (a lost INCR, a demoted primary).
  const regressions = holds
    .slice()
    .sort((a, b) => a.start - b.start)
    .filter((hold, i, sorted) => sorted.slice(0, i).some((earlier) => earlier.token >= hold.token)).length;
  console.log(
    `lock failover, replicaAcks=${replicaAcks}: ${faults.length} faults, ${failovers} failovers\n` +
      `  ${faults.map((f) => `${f.fault} :${f.port}${f.promoted ? ` -> :${f.promoted}` : ''} (${f.rejected} rejected)`).join(', ')}\n` +
      `  holds ${holds.length} (${NAMES.map((n) => `${n}=${holds.filter((h) => h.holder === n).length}`).join(' ')}), ` +
      `overlaps by wall clock ${overlaps()}, token regressions ${regressions}, longest time without an acquisition ${longestWait()} s\n` +
      `  fenced: ${ledger.accepted.length} writes accepted, ${ledger.rejected} stale rejected, ` +
      `out of order ${outOfOrder(ledger.accepted)}, tokens shared by two holders [${sharedTokens(ledger.accepted).join(',')}]\n` +
      `  control (no check): ${ledger.unchecked.length} accepted, out of order ${outOfOrder(ledger.unchecked)}`,
  );
  const stalls = faults.filter((f) => f.fault === 'SIGSTOP primary').length;
  return { failovers, stalls, overlaps: overlaps(), regressions, sharedTokens: sharedTokens(ledger.accepted) };
}

describe('@WithLock across Sentinel failovers (1 primary, 2 replicas, 3 Sentinels, 3 instances)', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 2, sentinels: 3, downAfterMs: 1_000, failoverTimeoutMs: 2_000 });
  });

  // Without replicaAcks: the control. A primary paused past the TTL and resumed keeps granting from its old
  // counter until the Sentinels demote it, so tokens go back; the check still refuses the stale writes.
  it('replicaAcks 0: the fencing counter goes back after a failover, and the check refuses what is stale', async () => {
    const figures = await chaos(group, 0);
    expect(figures.failovers).toBeGreaterThanOrEqual(2);
    expectStaleWritesFenced(figures);
    expect(figures.regressions).toBeGreaterThan(0);
  }, 55_000);

  it('replicaAcks 2: tokens keep increasing across failovers, and no stale write is accepted', async () => {
    const figures = await chaos(group, 2);
    expect(figures.failovers).toBeGreaterThanOrEqual(2);
    expectStaleWritesFenced(figures);
    expect(figures.regressions).toBe(0);
    expect(figures.sharedTokens).toEqual([]);
  }, 55_000);
});

/** Each stalled holder overlapped a newer one; its late write went in out of order only where nothing checked. */
function expectStaleWritesFenced(figures: Figures): void {
  expect(figures.overlaps).toBeGreaterThanOrEqual(figures.stalls);
  expect(outOfOrder(ledger.unchecked)).toBeGreaterThanOrEqual(figures.stalls);
  expect(ledger.rejected).toBeGreaterThanOrEqual(figures.stalls);
  expect(outOfOrder(ledger.accepted)).toBe(0);
}
