import { mongoAvailability, type MongoServer, type RedisServer, startMongo, startRedis, waitFor } from '../support';
import { createOrganization } from '../service/organization-traffic';
import { Fleet } from '../tsid/fleet';
import { provisioningFigures } from './job-fleet';

const ORGANIZATIONS = Number(process.env.JOBS_CHAOS_ORGANIZATIONS ?? 500);
const NAMES = ['A', 'B', 'C'];
const LOCK_MS = 2_000;
const STALLED_INTERVAL_MS = 1_000;
/** A job held by a dead worker is back in the queue within this (see JobsService's start-up line). */
const RECOVERY_BOUND_MS = LOCK_MS + STALLED_INTERVAL_MS;

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

/** Small seeded PRNG (mulberry32), so a failing run can be replayed with JOBS_CHAOS_SEED. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeWithMongo('provisioning jobs under crash chaos (3 real service processes, real Redis and MongoDB)', () => {
  let redis: RedisServer;
  let db: MongoServer;

  beforeAll(async () => {
    [redis, db] = await Promise.all([startRedis(), startMongo()]);
  });

  it(`provisions each of ${ORGANIZATIONS} organizations once while instances are SIGKILLed, restarted and SIGSTOPped past the lock`, async () => {
    const seed = Number(process.env.JOBS_CHAOS_SEED ?? Date.now() % 100_000);
    console.log(`jobs chaos seed ${seed} (replay with JOBS_CHAOS_SEED=${seed})`);
    const rand = random(seed);
    const fleet = new Fleet({
      MONGODB_URI: db.uri,
      REDIS_URL: redis.url,
      TSID_LEASE_TTL_MS: '1000',
      PROVISION_MS: '200',
      JOBS_LOCK_DURATION_MS: String(LOCK_MS),
      JOBS_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      HEALTH_READINESS_INCLUDE: 'mongodb,redis,tsid,jobs',
    });
    const faults: string[] = [];
    let supervising = true;
    const supervise = async (name: string) => {
      while (supervising) {
        await fleet.service(name).exited;
        while (supervising) {
          try {
            await fleet.start(name);
            break;
          } catch {
            // killed again during start-up: start it again
          }
        }
      }
    };
    const running = () => NAMES.map((name) => fleet.service(name)).filter((s) => s.isRunning);

    try {
      await Promise.all(NAMES.map(async (name) => (await fleet.start(name)).waitForStatus('/health/readiness')));
      const supervisors = NAMES.map(supervise);
      const started = Date.now();

      // Clients: create organizations through whichever instance is up until ORGANIZATIONS are acknowledged.
      const acknowledged: string[] = [];
      let sequence = 0;
      const client = async () => {
        while (acknowledged.length < ORGANIZATIONS) {
          const up = running();
          if (up.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          const answer = await createOrganization(up[sequence % up.length].url, `org-${sequence++}`, 2_000);
          if (answer.status === 201) acknowledged.push(String(answer.body!.id));
        }
      };
      const clients = Promise.all(Array.from({ length: 12 }, client));

      // The driver: a SIGKILL or a SIGSTOP past the lock every ~1.5 s while clients create organizations.
      const driver = (async () => {
        let round = 0;
        while (acknowledged.length < ORGANIZATIONS) {
          await new Promise((resolve) => setTimeout(resolve, 1_000 + rand() * 1_000));
          const up = running();
          if (up.length < 2) continue;
          const target = up[Math.floor(rand() * up.length)];
          if (round++ % 3 === 1) {
            faults.push(`SIGSTOP pid ${target.pid}`);
            target.signal('SIGSTOP');
            // Past the lock and a stalled check: its jobs are recovered elsewhere while it sleeps.
            await new Promise((resolve) => setTimeout(resolve, RECOVERY_BOUND_MS + 500));
            target.signal('SIGCONT');
          } else {
            faults.push(`SIGKILL pid ${target.pid}`);
            target.signal('SIGKILL');
          }
        }
      })();
      await Promise.all([clients, driver]);
      const createdMs = Date.now() - started;

      await waitFor(
        'every organization to be active',
        async () =>
          (await db
            .client()
            .collection('organizations')
            .countDocuments({ status: { $ne: 'active' } })) === 0,
        40_000,
        200,
      );
      supervising = false;
      await fleet.killAll();
      await Promise.all(supervisors);

      const figures = await provisioningFigures(db.client(), fleet.history);
      console.log(
        `jobs chaos seed ${seed}: ${acknowledged.length} organizations acknowledged in ${createdMs} ms ` +
          `(${figures.organizations} stored); faults (${faults.length}): ${faults.join(', ')}\n` +
          `  executions ${figures.executions} vs effects ${figures.effects}, doubles ` +
          `${figures.doubleEffects.length} (${figures.reExecuted} organizations ` +
          `provisioned by more than one execution), recoveries ${figures.recoveries}, ` +
          `longest wait for active ${figures.longestWaitMs} ms (recovery bound ${RECOVERY_BOUND_MS} ms + queueing), ` +
          `${fleet.history.length} incarnations, ${Date.now() - started} ms from the first request to the end`,
      );
      expect(figures.stillProvisioning).toBe(0);
      expect(figures.doubleEffects).toEqual([]);
      expect(figures.effects).toBe(figures.organizations);
      // The control: the chaos did make jobs run more than once, and recoveries happened; the unique-keyed effect is
      // what kept effects at one per organization.
      expect(figures.executions).toBeGreaterThan(figures.effects);
      expect(figures.recoveries).toBeGreaterThan(0);
    } finally {
      supervising = false;
      await fleet.killAll();
    }
  }, 120_000);
});
