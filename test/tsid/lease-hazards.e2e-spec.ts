import type { Redis } from 'ioredis';
import { TsidCodec } from '@nestjs-reliability/tsid';
import { GatedProxy, type RedisServer, startRedis, waitFor } from '../support';
import { Fleet } from './fleet';
import { IdTraffic } from './id-traffic';

// Each hazard of the safety invariant, injected while real service processes issue IDs through /ids.
// Every ID is collected; the check is: no duplicate, and for every node ID the timestamp ranges of its
// successive holders are disjoint and ordered. Short leases (1 s) keep the tests quick.
describe('TSID leases under faults (real Redis, real service processes)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let fleet: Fleet;
  let traffic: IdTraffic;
  let gates: GatedProxy[] = [];
  const codec = new TsidCodec({ nodeBits: 1 });
  const BASE_ENV = () => ({
    REDIS_URL: redis.url,
    TSID_NODE_BITS: '1',
    TSID_LEASE_TTL_MS: '1000',
    TSID_REFRESH_INTERVAL_MS: '250',
    TSID_MAX_CLOCK_SKEW_MS: '300',
  });

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
  });

  beforeEach(async () => {
    await redis.flushAll();
    fleet = new Fleet(BASE_ENV());
    traffic = new IdTraffic(codec);
  });

  afterEach(async () => {
    await traffic.stop();
    await fleet.killAll();
    await Promise.all(gates.map((gate) => gate.close()));
    gates = [];
  });

  /**
   * Starts `name` against a closed gate to Redis: it boots completely but cannot lease before `gate.open()`. A test
   * that pauses a holder until its successor has leased then pauses it for the lease alone, never for a process
   * start-up of unknown length that could outlast the paused holder's window (leaving nothing to prove).
   */
  async function bootBehindGate(name: string, env: Record<string, string> = {}): Promise<GatedProxy> {
    const gate = await GatedProxy.start(redis.port);
    gates.push(gate);
    await fleet.start(name, { ...env, REDIS_URL: gate.url });
    await waitFor(`${name} to connect to Redis through the gate`, () => gate.waiting > 0);
    return gate;
  }

  /** Starts A and B issuing (they hold both node IDs) with traffic on each. */
  async function startPair(envA: Record<string, string> = {}, envB: Record<string, string> = {}) {
    await Promise.all([fleet.startIssuing('A', envA), fleet.startIssuing('B', envB)]);
    for (const name of ['A', 'B']) traffic.add(name, fleet.target(name));
    await waitFor('both to issue IDs', () => Object.keys(traffic.countsByLabel()).length === 2, 10_000);
  }

  async function nodeOf(name: string): Promise<number> {
    const response = await fetch(`${fleet.service(name).url}/ids`);
    const { ids } = (await response.json()) as { ids: string[] };
    return codec.decode(ids[0]).nodeId;
  }

  /**
   * Asserts that `previous` went on issuing after `successor` leased its node ID, so the two really overlapped in
   * time and only the lease's window kept their IDs apart (otherwise the case the test means to prove never happened).
   */
  function expectIssuedAfterSuccessorLeased(previous: string, successor: string): void {
    const leased = fleet
      .service(successor)
      .logs()
      .find((line) => String(line.msg).startsWith('Leased TSID node ID'));
    const concurrentMs = (traffic.lastIssued(previous) ?? -Infinity) - Number(leased!.time);
    console.log(`${previous} issued until ${concurrentMs} ms after ${successor} leased its node ID`);
    expect(concurrentMs).toBeGreaterThan(0);
  }

  /** Restarts A and B (self-healing: they lease again), waits until both issue, then checks every ID collected. */
  async function restartPairAndExpectSafe() {
    await Promise.all([fleet.startIssuing('A'), fleet.startIssuing('B')]);
    await waitFor(
      'A and B to serve again',
      () => traffic.countsByLabel()['A#2'] > 0 && traffic.countsByLabel()['B#2'] > 0,
    );
    await traffic.stop();
    expectSafe();
  }

  function expectSafe() {
    console.log(traffic.summary());
    expect(traffic.duplicateIds).toEqual([]);
    expect(traffic.overlappingHolders()).toEqual([]);
  }

  it('survives Redis restarting without persistence: the old holder exits 75, the new one waits out the quarantine', async () => {
    // One node ID, so C must take A's. A is paused through the restart and C's lease, then resumed with its window
    // still open (5 s lease): it answers its pending request after C leased the node ID. Only the quarantine keeps
    // C's timestamps above A's.
    fleet = new Fleet({ ...BASE_ENV(), TSID_NODE_BITS: '0', TSID_LEASE_TTL_MS: '5000' });
    traffic = new IdTraffic(new TsidCodec({ nodeBits: 0 }));
    await fleet.startIssuing('A');
    traffic.add('A', fleet.target('A'));
    await waitFor('A to issue IDs', () => traffic.countsByLabel()['A#1'] > 0);
    const gate = await bootBehindGate('C');
    fleet.service('A').signal('SIGSTOP');
    await redis.restart();
    gate.open();
    await fleet.service('C').waitForLog(/Leased TSID node ID 0/);
    fleet.service('A').signal('SIGCONT');
    expect((await fleet.service('A').waitForExit()).code).toBe(75);
    expectIssuedAfterSuccessorLeased('A#1', 'C');
    traffic.add('C', fleet.target('C'));
    await waitFor('C to issue IDs', () => traffic.countsByLabel()['C#1'] > 0, 15_000);
    fleet.service('C').signal('SIGTERM');
    expect((await fleet.service('C').waitForExit()).code).toBe(0);
    await fleet.startIssuing('A');
    await waitFor('A to serve again', () => traffic.countsByLabel()['A#2'] > 0);
    await traffic.stop();
    expectSafe();
  });

  it('survives FLUSHALL while IDs are issued', async () => {
    await startPair();
    await redis.flushAll();
    expect((await fleet.service('A').waitForExit()).code).toBe(75);
    expect((await fleet.service('B').waitForExit()).code).toBe(75);
    expect(fleet.service('A').output().stdout).toMatch(/was lost .*"nodeId":\d,"expected":"[^"]+","actual":null/);
    await restartPairAndExpectSafe();
  });

  it('survives a deleted key and an overwritten one (stolen), with a successor on the freed node ID', async () => {
    // A (clock 250 ms ahead of C's) is paused while its key is deleted (and B's overwritten) and C leases A's node
    // ID, then resumed with its window still open: it answers its pending request after C leased. Only the high-water mark keeps C's
    // timestamps above A's.
    fleet = new Fleet({ ...BASE_ENV(), TSID_LEASE_TTL_MS: '5000', TSID_MAX_CLOCK_SKEW_MS: '500' });
    await startPair({ TSID_CLOCK_OFFSET_MS: '250' });
    const [nodeA, nodeB] = [await nodeOf('A'), await nodeOf('B')];
    const gate = await bootBehindGate('C', { TSID_CLOCK_OFFSET_MS: '-250' });
    fleet.service('A').signal('SIGSTOP');
    await admin.del(`sys:tsid:node:${nodeA}`);
    await admin.set(`sys:tsid:node:${nodeB}`, 'intruder', 'PX', 3_000);
    gate.open();
    await fleet.service('C').waitForLog(new RegExp(`Leased TSID node ID ${nodeA} `));
    fleet.service('A').signal('SIGCONT');
    expect((await fleet.service('A').waitForExit()).code).toBe(75);
    expectIssuedAfterSuccessorLeased('A#1', 'C');
    expect((await fleet.service('B').waitForExit()).code).toBe(75);
    expect(fleet.service('B').output().stdout).toMatch(/was stolen .*"expected":"[^"]+","actual":"intruder"/);
    traffic.add('C', fleet.target('C'));
    await waitFor('C to issue IDs', () => traffic.countsByLabel()['C#1'] > 0, 10_000);
    fleet.service('C').signal('SIGTERM');
    await fleet.service('C').waitForExit();
    await waitFor(
      'the intruder key to expire',
      async () => (await admin.exists(`sys:tsid:node:${nodeB}`)) === 0,
      5_000,
    );
    await restartPairAndExpectSafe();
  });

  it('refuses at once when a holder paused longer than the TTL resumes after its node ID moved on', async () => {
    await startPair();
    const nodeA = await nodeOf('A');
    fleet.service('A').signal('SIGSTOP');
    await waitFor('A’s lease to expire', async () => (await admin.exists(`sys:tsid:node:${nodeA}`)) === 0, 5_000);
    await fleet.startIssuing('C');
    traffic.add('C', fleet.target('C'));
    await waitFor('C to issue IDs', () => traffic.countsByLabel()['C#1'] > 0);
    expect(await nodeOf('C')).toBe(nodeA);
    fleet.service('A').signal('SIGCONT');
    expect((await fleet.service('A').waitForExit()).code).toBe(75);
    expect(fleet.service('A').output().stdout).toMatch(/was stolen/);
    fleet.service('C').signal('SIGTERM');
    await fleet.service('C').waitForExit();
    await fleet.startIssuing('A');
    await waitFor('A to serve again', () => traffic.countsByLabel()['A#2'] > 0);
    await traffic.stop();
    expectSafe();
  });

  it('stops issuing when refreshes fail while Redis is unreachable, and never overlaps after it returns', async () => {
    await startPair();
    process.kill(redis.pid!, 'SIGSTOP');
    // Refreshes hang; each instance may issue only until its last successful refresh + TTL.
    await waitFor(
      'both to refuse IDs',
      async () => {
        const statuses = await Promise.all(
          ['A', 'B'].map((n) => fetch(`${fleet.service(n).url}/ids`).then((r) => r.status)),
        );
        return statuses.every((status) => status === 503);
      },
      5_000,
    );
    const refused = await fetch(`${fleet.service('A').url}/ids`);
    expect(await refused.json()).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/has not been refreshed/),
    });
    process.kill(redis.pid!, 'SIGCONT');
    // The keys expired while Redis was stopped: each holder either finds its key gone (75) or re-extends it.
    for (const name of ['A', 'B']) {
      const service = fleet.service(name);
      await waitFor(
        `${name} to recover or exit`,
        async () => !service.isRunning || (await fetch(`${service.url}/ids`)).status === 200,
        10_000,
      );
      if (!service.isRunning) {
        expect((await service.waitForExit()).code).toBe(75);
        await fleet.startIssuing(name);
      }
    }
    await waitFor('both to serve again', async () => {
      const statuses = await Promise.all(
        ['A', 'B'].map((n) => fetch(`${fleet.service(n).url}/ids`).then((r) => r.status)),
      );
      return statuses.every((status) => status === 200);
    });
    await traffic.stop();
    expect(Object.values(traffic.unableToIssueMs()).every((ms) => ms > 0)).toBe(true);
    expectSafe();
  });

  it('keeps successive holders disjoint when clocks differ by up to the configured skew', async () => {
    // One node ID, clocks 150 ms ahead (A, D) or behind (C): 300 ms apart = TSID_MAX_CLOCK_SKEW_MS.
    // A, paused, answers after Redis lost its data and C leased; C is killed (no release) and D, ahead, takes over.
    fleet = new Fleet({ ...BASE_ENV(), TSID_NODE_BITS: '0', TSID_LEASE_TTL_MS: '3000' });
    traffic = new IdTraffic(new TsidCodec({ nodeBits: 0 }));
    await fleet.startIssuing('A', { TSID_CLOCK_OFFSET_MS: '150' });
    traffic.add('A', fleet.target('A'));
    await waitFor('A to issue IDs', () => traffic.countsByLabel()['A#1'] > 0);
    const gate = await bootBehindGate('C', { TSID_CLOCK_OFFSET_MS: '-150' });
    fleet.service('A').signal('SIGSTOP');
    await redis.restart();
    gate.open();
    await fleet.service('C').waitForLog(/Leased TSID node ID 0/);
    fleet.service('A').signal('SIGCONT');
    expect((await fleet.service('A').waitForExit()).code).toBe(75);
    expectIssuedAfterSuccessorLeased('A#1', 'C');
    traffic.add('C', fleet.target('C'));
    await waitFor('C to issue IDs', () => traffic.countsByLabel()['C#1'] > 0, 10_000);
    await fleet.service('C').kill();
    await waitFor('C’s lease to expire', async () => (await admin.exists('sys:tsid:node:0')) === 0, 5_000);
    await fleet.startIssuing('D', { TSID_CLOCK_OFFSET_MS: '150' });
    traffic.add('D', fleet.target('D'));
    await waitFor('D to issue IDs', () => traffic.countsByLabel()['D#1'] > 0);
    await traffic.stop();
    expect(traffic.holdersByNode()[0].sort()).toEqual(['A#1', 'C#1', 'D#1']);
    expectSafe();
  });
});
