import { type RedisCluster, startRedisCluster } from '../../../test/support';
import { LockService } from './lock.service';

describe('LockService on a real 3-primary Redis Cluster', () => {
  let cluster: RedisCluster;
  const resources = Array.from({ length: 12 }, (_, i) => `job-${i}`);

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  });

  it('control: the lock key and its counter without a hash tag land in different slots (CROSSSLOT)', async () => {
    const client = cluster.client();
    const refused = await Promise.all(
      resources.map((resource) =>
        client.eval('return 1', 2, `lock:${resource}`, `lock:${resource}:fence`).then(
          () => false,
          (error: Error) => /CROSSSLOT/.test(error.message),
        ),
      ),
    );
    console.log(`cluster control: ${refused.filter(Boolean).length}/${resources.length} untagged key pairs refused`);
    expect(refused.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('locks every resource, with increasing fencing tokens, spread over the primaries', async () => {
    const [a, b] = [new LockService({ clients: [cluster.client()] }), new LockService({ clients: [cluster.client()] })];
    for (const resource of resources) {
      const tokens: number[] = [];
      await a.run(resource, async (_signal, lock) => {
        tokens.push(lock.fencingToken);
        await expect(b.tryRun(resource, () => 'b')).resolves.toEqual({ acquired: false, reason: 'busy' });
      });
      await b.run(resource, (_signal, lock) => tokens.push(lock.fencingToken));
      expect(tokens).toEqual([1, 2]);
    }
    const countersPerPrimary = await Promise.all(
      cluster.nodes.map((_, i) =>
        cluster
          .node(i)
          .keys('lock:*:fence')
          .then((keys) => keys.length),
      ),
    );
    console.log(`cluster: fencing counters per primary ${countersPerPrimary.join('/')}`);
    expect(countersPerPrimary.reduce((sum, n) => sum + n, 0)).toBe(resources.length);
    expect(countersPerPrimary.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});
