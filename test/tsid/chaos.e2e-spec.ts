import { TsidCodec } from '@nestjs-reliability/tsid';
import { type ExitResult, type RedisServer, startRedis, waitFor } from '../support';
import { Fleet } from './fleet';
import { IdTraffic } from './id-traffic';

const CHAOS_MS = Number(process.env.TSID_CHAOS_MS ?? 22_000);
const NAMES = ['A', 'B', 'C', 'D'];

/** Small seeded PRNG (mulberry32), so a failing run can be replayed with TSID_CHAOS_SEED. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
      const rand = random(seed);
      const fleet = new Fleet({
        REDIS_URL: redis.url,
        TSID_NODE_BITS: '3',
        TSID_LEASE_TTL_MS: '1000',
        TSID_REFRESH_INTERVAL_MS: '250',
        TSID_MAX_CLOCK_SKEW_MS: '100',
      });
      // Clocks up to 100 ms apart (the configured bound).
      const offsets: Record<string, string> = { A: '50', B: '-50', C: '0', D: '25' };
      const traffic = new IdTraffic(new TsidCodec({ nodeBits: 3 }));
      const exits: Array<ExitResult & { name: string }> = [];
      const events: string[] = [];
      let supervising = true;

      // The orchestrator: whatever exits is started again.
      const supervise = async (name: string) => {
        while (supervising) {
          const exit = await fleet.service(name).exited;
          exits.push({ name, ...exit });
          while (supervising) {
            try {
              await fleet.start(name, { TSID_CLOCK_OFFSET_MS: offsets[name] });
              break;
            } catch {
              // exited during start-up (e.g. SIGKILLed by the driver); start it again
            }
          }
        }
      };

      try {
        await Promise.all(NAMES.map((name) => fleet.startIssuing(name, { TSID_CLOCK_OFFSET_MS: offsets[name] })));
        for (const name of NAMES) traffic.add(name, fleet.target(name));
        const supervisors = NAMES.map(supervise);

        const started = Date.now();
        while (Date.now() - started < CHAOS_MS) {
          const action = rand();
          // Process faults hit a running instance (the supervisor may be restarting some).
          const running = NAMES.filter((n) => fleet.service(n).isRunning);
          const name = running[Math.floor(rand() * running.length)];
          if (action < 0.2 || name === undefined) {
            events.push('redis restart');
            await redis.restart();
          } else if (action < 0.3) {
            events.push('FLUSHALL');
            await redis.flushAll();
          } else if (action < 0.6) {
            const pauseMs = 1_200 + Math.floor(rand() * 1_300);
            events.push(`SIGSTOP ${name} ${pauseMs} ms`);
            const service = fleet.service(name);
            service.signal('SIGSTOP');
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
            service.signal('SIGCONT');
          } else if (action < 0.8) {
            events.push(`SIGKILL ${name}`);
            fleet.service(name).signal('SIGKILL');
          } else {
            events.push(`SIGTERM ${name}`);
            fleet.service(name).signal('SIGTERM');
          }
          await new Promise((resolve) => setTimeout(resolve, 600 + rand() * 900));
        }

        // Calm: every instance must serve again.
        const before = traffic.countsByLabel();
        await waitFor(
          'every instance to issue IDs again',
          () => {
            const now = traffic.countsByLabel();
            return NAMES.every((name) =>
              Object.keys(now).some((label) => label.startsWith(`${name}#`) && now[label] > (before[label] ?? 0)),
            );
          },
          30_000,
        );
        supervising = false;
        await traffic.stop();
        await fleet.killAll();
        await Promise.all(supervisors);
      } finally {
        supervising = false;
        await traffic.stop();
        await fleet.killAll();
      }

      console.log(
        `chaos seed ${seed}: ${events.length} faults (${events.join(', ')})\n` +
          `${traffic.summary()}\n` +
          `exits: ${exits.map((e) => `${e.name}:${e.code ?? e.signal}`).join(' ')}`,
      );
      expect(traffic.duplicateIds).toEqual([]);
      expect(traffic.overlappingHolders()).toEqual([]);
      expect(traffic.total).toBeGreaterThan(0);
      // Lease loss is exit 75, SIGTERM is 0, the rest were SIGKILLs by the driver or at the end.
      for (const exit of exits) expect(exit.code === 75 || exit.code === 0 || exit.signal === 'SIGKILL').toBe(true);
    },
    CHAOS_MS + 90_000,
  );
});
