import { TsidCodec } from '@nestjs-reliability/tsid';
import { type SentinelGroup, startSentinelGroup, waitFor } from '../support';
import { Fleet, seededRandom } from './fleet';
import { IdTraffic } from './id-traffic';

const CHAOS_MS = Number(process.env.TSID_FAILOVER_CHAOS_MS ?? 20_000);
const NAMES = ['A', 'B', 'C', 'D'];
const LEASE_TTL_MS = 1_500;
const REPLICAS = 2;
const FAULTS = ['SIGKILL primary', 'SIGSTOP primary', 'restart primary', 'restart replica'] as const;
type Fault = (typeof FAULTS)[number];

interface FaultEvent {
  fault: Fault;
  at: number;
  port: number;
  /** The primary afterwards, when the fault caused a failover. */
  promoted?: number;
}

describe('TSID failover chaos (1 primary, 2 replicas, 3 Sentinels, 4 real service processes)', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({
      replicas: REPLICAS,
      sentinels: 3,
      downAfterMs: 1_000,
      failoverTimeoutMs: 2_000,
    });
  });

  it(
    `issues no duplicate while the primary is killed, paused past the TTL and restarted for ${CHAOS_MS / 1000} s`,
    async () => {
      const seed = Number(process.env.TSID_CHAOS_SEED ?? Date.now() % 100_000);
      console.log(`failover chaos seed ${seed} (replay with TSID_CHAOS_SEED=${seed})`);
      const rand = seededRandom(seed);
      const planned = [...FAULTS].sort(() => rand() - 0.5);
      const nextFault = (): Fault => planned.shift() ?? FAULTS[Math.floor(rand() * FAULTS.length)];
      const fleet = new Fleet({
        REDIS_SENTINELS: group.sentinelList,
        TSID_NODE_BITS: '3',
        TSID_LEASE_TTL_MS: String(LEASE_TTL_MS),
        TSID_REFRESH_INTERVAL_MS: '300',
        TSID_MAX_CLOCK_SKEW_MS: '100',
        TSID_LEASE_REPLICA_ACKS: String(REPLICAS),
        LOCK_REPLICA_ACKS: String(REPLICAS),
      });
      const traffic = new IdTraffic(new TsidCodec({ nodeBits: 3 }));
      const events: FaultEvent[] = [];
      const report = () => {
        const counts = Object.fromEntries(FAULTS.map((f) => [f, events.filter((e) => e.fault === f).length]));
        const failovers = events.filter((e) => e.promoted !== undefined).length;
        const unavailable = Object.fromEntries(
          Object.entries(traffic.unableToIssueMs()).map(([name, ms]) => [name, `${(ms / 1000).toFixed(1)} s`]),
        );
        // What each instance said last about Redis and its lease: why one that stays unavailable is stuck.
        const lastWarnings = NAMES.map((name) => {
          const target = fleet.target(name)();
          const warnings = target?.service.logs().filter((line) => /TSID|Redis/.test(String(line.msg))) ?? [];
          return `${target?.label}: ${
            warnings
              .slice(-3)
              .map((line) => String(line.msg))
              .join(' / ') || '-'
          }`;
        });
        const changedPrimary = fleet.history.filter((i) =>
          i.service.logs().some((line) => String(line.msg).includes('is not the primary that granted it')),
        );
        console.log(
          `failover chaos seed ${seed}: ${events.length} faults ${JSON.stringify(counts)}, ${failovers} failovers\n` +
            `  ${events.map((e) => `${e.fault} :${e.port}${e.promoted ? ` -> :${e.promoted}` : ''}`).join(', ')}\n` +
            `${traffic.total} IDs, ${traffic.duplicateIds.length} duplicates; unable to issue ${JSON.stringify(unavailable)}\n` +
            `issued per incarnation ${JSON.stringify(traffic.countsByLabel())}\n` +
            `incarnations that saw a changed primary and leased again: ${changedPrimary.map((i) => i.label).join(', ')}\n` +
            `last lease and Redis logs: ${lastWarnings.join('\n  ')}`,
        );
        return { counts, failovers, changedPrimary };
      };
      let supervisor: ReturnType<Fleet['supervise']> | undefined;
      let figures: ReturnType<typeof report> | undefined;
      try {
        await Promise.all(NAMES.map((name) => fleet.startIssuing(name)));
        for (const name of NAMES) traffic.add(name, fleet.target(name));
        supervisor = fleet.supervise(NAMES);

        const started = Date.now();
        // Every kind of fault at least once, however long the faults take, then more until CHAOS_MS.
        while (planned.length > 0 || Date.now() - started < CHAOS_MS) {
          const fault = nextFault();
          const primary = await group.primary();
          const event: FaultEvent = { fault, at: Date.now(), port: primary.port };
          if (fault === 'SIGKILL primary') {
            await primary.kill();
            event.promoted = (await group.waitForFailover(primary)).port;
            await group.restart(primary);
          } else if (fault === 'SIGSTOP primary') {
            primary.signal('SIGSTOP');
            // Paused until a replica took over and past the lease TTL; resumed, it still believes it is primary.
            event.promoted = (await group.waitForFailover(primary)).port;
            await waitFor('the pause to outlast the lease TTL', () => Date.now() - event.at > LEASE_TTL_MS);
            primary.signal('SIGCONT');
          } else if (fault === 'restart primary') {
            // Back empty before the Sentinels notice: the replicas resync to nothing.
            await group.restart(primary, { asPrimary: true });
          } else {
            const replica = group.nodes.find((node) => node !== primary)!;
            event.port = replica.port;
            await group.restart(replica);
          }
          events.push(event);
          await group.waitForReplicas(REPLICAS);
          // The driver's pace between faults (not a wait for a condition).
          await new Promise((resolve) => setTimeout(resolve, 500 + rand() * 1_000));
        }

        await traffic.waitForEveryInstance(NAMES, 20_000);
      } finally {
        await traffic.stop();
        await supervisor?.stop();
        await fleet.killAll();
        figures = report();
      }
      const { counts, failovers, changedPrimary } = figures;

      expect(traffic.duplicateIds).toEqual([]);
      expect(traffic.overlappingHolders()).toEqual([]);
      for (const fault of FAULTS) expect({ fault, happened: counts[fault] > 0 }).toEqual({ fault, happened: true });
      expect(failovers).toBeGreaterThanOrEqual(2);
      // A lease granted by an earlier primary was never extended by a later one.
      expect(changedPrimary.length).toBeGreaterThan(0);
      for (const r of supervisor.restarts.filter((r) => r.code !== null)) expect(r).toMatchObject({ code: 75 });
    },
    // Under the 60 s each CI test gets, with the default 20 s of faults.
    CHAOS_MS + 40_000,
  );
});
