import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { freePort, type RedisServer, type ServiceProcess, startRedis, startService, waitFor } from '../support';

const TTL_MS = 1_000;

interface Write {
  instance: string;
  fencingToken: number;
  at: number;
}

/** The protected resource: accepts a leader's write only if its token is at least the highest accepted (else 409). */
class FencedTarget {
  readonly accepted: Write[] = [];
  rejected = 0;
  private highest = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const port = await freePort();
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const { instance, fencingToken } = JSON.parse(body) as Write;
        if (fencingToken < this.highest) {
          this.rejected++;
          response.writeHead(409).end();
          return;
        }
        this.highest = fencingToken;
        this.accepted.push({ instance, fencingToken, at: performance.now() });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${port}/leader-writes`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get last(): Write | undefined {
    return this.accepted.at(-1);
  }
}

/** `host:pid` → pid. */
const pidOf = (instance: string): number => Number(instance.split(':').at(-1));

// Three instances of the reference service stand for the leadership of one loop; the driver SIGKILLs, SIGSTOPs past
// the TTL and SIGTERMs whichever leads, twice over, and starts a fresh instance for each that died.
describe('leader election across 3 real service instances', () => {
  let redis: RedisServer;
  const target = new FencedTarget();
  const instances: ServiceProcess[] = [];

  const start = async (): Promise<ServiceProcess> => {
    const service = await startService({
      env: {
        REDIS_URL: redis.url,
        TSID_NODE_ID: String(instances.length + 1),
        LEADER_LOOP_TARGET_URL: target.url,
        LEADER_LOOP_INTERVAL_MS: '50',
        LEADER_LOCK_TTL_MS: String(TTL_MS),
        SHUTDOWN_DRAIN_DELAY_MS: '300',
      },
    });
    instances.push(service);
    return service;
  };

  beforeAll(async () => {
    redis = await startRedis();
    await target.start();
    await Promise.all([start(), start(), start()]);
  });

  afterAll(() => target.stop());

  const leader = (): ServiceProcess => {
    const pid = pidOf(target.last!.instance);
    return instances.find((service) => service.pid === pid)!;
  };

  /** Waits until an instance other than `old` has had a write accepted; returns the leaderless gap in ms. */
  const waitForNewLeader = async (old: ServiceProcess): Promise<number> => {
    const before = target.accepted.length;
    await waitFor('another instance to lead', () => target.last && pidOf(target.last.instance) !== old.pid, 15_000);
    const first = target.accepted.findIndex((write, i) => i >= before && pidOf(write.instance) !== old.pid);
    return target.accepted[first].at - (target.accepted[first - 1]?.at ?? target.accepted[first].at);
  };

  it('never has two leaders whose writes the fenced target accepts out of order, and takes over after each fault', async () => {
    await waitFor('a first leader', () => target.last, 15_000);
    const gaps: Array<{ fault: string; ms: number }> = [];
    let stoppedLeaderBelievedItLed = 0;
    for (const fault of ['SIGKILL', 'SIGSTOP', 'SIGTERM', 'SIGKILL', 'SIGSTOP', 'SIGTERM'] as const) {
      const old = leader();
      old.signal(fault);
      gaps.push({ fault, ms: Math.round(await waitForNewLeader(old)) });
      if (fault === 'SIGSTOP') {
        old.signal('SIGCONT');
        // Resumed, it still held the leadership in its own view until its lock's validity timer ran.
        await old.waitForLog(/No longer leading \\"leader-loop\\".*leadership lost/);
        stoppedLeaderBelievedItLed++;
      } else {
        await old.waitForExit();
        await start();
      }
    }

    const tokens = target.accepted.map((write) => write.fencingToken);
    const instancesPerToken = new Map<number, Set<string>>();
    for (const { fencingToken, instance } of target.accepted) {
      instancesPerToken.set(fencingToken, (instancesPerToken.get(fencingToken) ?? new Set()).add(instance));
    }
    const longest = gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(
      `leader election: ${target.accepted.length} writes accepted from ${instancesPerToken.size} leaderships ` +
        `(leader changes ${instancesPerToken.size - 1}), stale writes rejected ${target.rejected}, ` +
        `SIGSTOPped leaders that still believed they led on resume ${stoppedLeaderBelievedItLed}; ` +
        `leaderless gaps ${gaps.map(({ fault, ms }) => `${fault} ${ms} ms`).join(', ')}; ` +
        `longest ${longest.ms} ms (${longest.fault}, TTL ${TTL_MS} ms)`,
    );
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect([...instancesPerToken.values()].every((set) => set.size === 1)).toBe(true);
    expect(instancesPerToken.size).toBeGreaterThanOrEqual(7);

    const metrics = await (await fetch(`${leader().url}/metrics`)).text();
    expect(metrics).toMatch(/lock_leader\{election="leader-loop"\} 1/);
    expect(metrics).toMatch(/lock_leader_changes_total\{election="leader-loop"\} [1-9]/);
  });
});
