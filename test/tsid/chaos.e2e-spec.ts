import { TsidCodec } from '@nestjs-reliability/tsid';
import { type RedisServer, startRedis, waitFor } from '../support';
import { Fleet, type Incarnation, seededRandom } from './fleet';
import { IdTraffic } from './id-traffic';

const CHAOS_MS = Number(process.env.TSID_CHAOS_MS ?? 22_000);
const NAMES = ['A', 'B', 'C', 'D'];
const LEASE_TTL_MS = 1_000;
/** An incarnation able to issue for this long (lease held, quarantine over, not paused) must have issued IDs. */
const MUST_ISSUE_WITHIN_MS = 2 * LEASE_TTL_MS;
const FAULTS = ['redis restart', 'FLUSHALL', 'SIGSTOP', 'SIGKILL', 'SIGTERM'] as const;
type Fault = (typeof FAULTS)[number];

/** Every kind of fault once in a seeded order, then a seeded mix: each kind happens whatever the seed. */
function faultPlan(rand: () => number): () => Fault {
  const first = [...FAULTS].sort(() => rand() - 0.5);
  return () => {
    const planned = first.shift();
    if (planned) return planned;
    const action = rand();
    return action < 0.2
      ? 'redis restart'
      : action < 0.3
        ? 'FLUSHALL'
        : action < 0.6
          ? 'SIGSTOP'
          : action < 0.8
            ? 'SIGKILL'
            : 'SIGTERM';
  };
}

interface FaultEvent {
  fault: Fault;
  label?: string;
  at: number;
  until?: number;
}

describe('TSID chaos (real Redis, 4 real service processes)', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  it(
    `issues no duplicate while Redis restarts and processes are paused, killed and restarted for ${CHAOS_MS / 1000} s`,
    async () => {
      const seed = Number(process.env.TSID_CHAOS_SEED ?? Date.now() % 100_000);
      // Printed first, so a run that hangs or times out can still be replayed.
      console.log(`chaos seed ${seed} (replay with TSID_CHAOS_SEED=${seed})`);
      const rand = seededRandom(seed);
      const nextFault = faultPlan(rand);
      // Clocks up to 100 ms apart (the configured bound).
      const offsets: Record<string, number> = { A: 50, B: -50, C: 0, D: 25 };
      const fleet = new Fleet({
        REDIS_URL: redis.url,
        TSID_NODE_BITS: '3',
        TSID_LEASE_TTL_MS: String(LEASE_TTL_MS),
        TSID_REFRESH_INTERVAL_MS: '250',
        TSID_MAX_CLOCK_SKEW_MS: '100',
      });
      const env = (name: string) => ({ TSID_CLOCK_OFFSET_MS: String(offsets[name]) });
      const traffic = new IdTraffic(new TsidCodec({ nodeBits: 3 }));
      const events: FaultEvent[] = [];
      let supervisor: ReturnType<Fleet['supervise']> | undefined;
      let stoppedAt = 0;
      try {
        await Promise.all(NAMES.map((name) => fleet.startIssuing(name, env(name))));
        for (const name of NAMES) traffic.add(name, fleet.target(name));
        supervisor = fleet.supervise(NAMES, env);

        const started = Date.now();
        while (Date.now() - started < CHAOS_MS) {
          const fault = nextFault();
          // A process fault hits a running instance; while the supervisor restarts them all, it waits for one.
          const target =
            fault === 'redis restart' || fault === 'FLUSHALL'
              ? undefined
              : await waitFor(
                  'an instance to be running',
                  () => {
                    const running = NAMES.filter((n) => fleet.service(n).isRunning);
                    return running.length > 0 && fleet.target(running[Math.floor(rand() * running.length)])()!;
                  },
                  30_000,
                );
          const event: FaultEvent = { fault, at: Date.now() };
          if (fault === 'redis restart') {
            await redis.restart();
          } else if (fault === 'FLUSHALL') {
            await redis.flushAll();
          } else {
            event.label = target!.label;
            if (fault === 'SIGSTOP') {
              const pauseMs = 1_200 + Math.floor(rand() * 1_300);
              target!.service.signal('SIGSTOP');
              await new Promise((resolve) => setTimeout(resolve, pauseMs));
              target!.service.signal('SIGCONT');
              event.until = Date.now();
            } else {
              target!.service.signal(fault);
            }
          }
          events.push(event);
          // The driver's pace between faults (not a wait for a condition).
          await new Promise((resolve) => setTimeout(resolve, 600 + rand() * 900));
        }

        // Calm: every instance must serve again.
        await traffic.waitForEveryInstance(NAMES, 30_000);
        stoppedAt = Date.now();
      } finally {
        await traffic.stop();
        await supervisor?.stop();
        await fleet.killAll();
      }
      const restarts = supervisor.restarts;

      const counts = Object.fromEntries(FAULTS.map((f) => [f, events.filter((e) => e.fault === f).length]));
      const idle = silentHolders(fleet.history, traffic.countsByLabel(), events, offsets, stoppedAt);
      console.log(
        `chaos seed ${seed}: ${events.length} faults ${JSON.stringify(counts)}\n` +
          `  ${events.map((e) => `${e.fault}${e.label ? ` ${e.label}` : ''}${e.until ? ` ${e.until - e.at} ms` : ''}`).join(', ')}\n` +
          `${traffic.summary()}\n` +
          `supervisor restarts (${restarts.length}): ` +
          restarts
            .map((r) => `${r.exited} exit ${r.code ?? r.signal} -> ${r.restartedAs ?? 'not restarted'}`)
            .join(', '),
      );
      expect(traffic.duplicateIds).toEqual([]);
      expect(traffic.overlappingHolders()).toEqual([]);
      for (const fault of FAULTS) expect({ fault, happened: counts[fault] > 0 }).toEqual({ fault, happened: true });
      // Lease loss is exit 75, SIGTERM is 0, the rest were SIGKILLs by the driver or at the end. A SIGTERM that lands
      // while its incarnation is already shutting down (its lease just lost) is a second signal: 143, as contracted.
      const sigtermed = new Set(events.filter((e) => e.fault === 'SIGTERM').map((e) => e.label));
      for (const r of restarts) {
        const expected =
          r.code === 75 || r.code === 0 || r.signal === 'SIGKILL' || (r.code === 143 && sigtermed.has(r.exited));
        expect({ ...r, expected }).toMatchObject({ expected: true });
      }
      // Every exit during the run was followed by a restart that answered liveness.
      const duringRun = restarts.filter((r) => fleet.history.find((i) => i.label === r.exited)!.exitedAt! < stoppedAt);
      expect(duringRun.filter((r) => r.restartedAs === undefined)).toEqual([]);
      // IDs kept flowing: no incarnation held a usable lease for a while without issuing.
      expect(idle).toEqual([]);
    },
    CHAOS_MS + 90_000,
  );
});

/**
 * Incarnations that could issue for at least MUST_ISSUE_WITHIN_MS (from the later of their liveness and the start of
 * their issue window, to their exit, minus time paused) yet issued no ID.
 */
function silentHolders(
  history: Incarnation[],
  issued: Record<string, number>,
  events: FaultEvent[],
  offsets: Record<string, number>,
  stoppedAt: number,
): string[] {
  const silent: string[] = [];
  for (const incarnation of history) {
    const leased = incarnation.service.logs().find((line) => String(line.msg).startsWith('Leased TSID node ID'));
    if (!leased) continue;
    // "issuing from <ISO>" is on the instance's own (offset) clock.
    const from = /issuing from (\S+),/.exec(String(leased.msg));
    const issueFrom = from ? Date.parse(from[1]) - offsets[incarnation.name] : Number(leased.time);
    const start = Math.max(issueFrom, incarnation.startedAt);
    const end = Math.min(incarnation.exitedAt ?? stoppedAt, stoppedAt);
    const paused = events
      .filter((e) => e.fault === 'SIGSTOP' && e.label === incarnation.label)
      .reduce((sum, e) => sum + Math.max(0, Math.min(e.until!, end) - Math.max(e.at, start)), 0);
    const usableMs = end - start - paused;
    if (usableMs >= MUST_ISSUE_WITHIN_MS && !issued[incarnation.label]) {
      silent.push(`${incarnation.label}: ${usableMs} ms able to issue, 0 IDs`);
    }
  }
  return silent;
}
