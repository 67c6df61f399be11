import type { Redis } from 'ioredis';
import { type RedisServer, startRedis, waitFor } from '../../../test/support';
import { isNodeIdsExhaustedError } from './node-ids-exhausted.error';
import { NodeLease, type NodeLeaseOptions } from './node-lease';

describe('NodeLease (real Redis)', () => {
  let redis: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
  });
  beforeEach(() => redis.flushAll());

  const lease = (options: Partial<NodeLeaseOptions> = {}) =>
    new NodeLease({ redis: admin, nodeBits: 10, ttlMs: 10_000, maxClockSkewMs: 50, ...options });

  it('gives 50 clients leasing at once, each on its own connection, 50 different node IDs', async () => {
    const clients = Array.from({ length: 50 }, () => redis.client());
    const windows = await Promise.all(clients.map((client) => lease({ redis: client }).acquire()));
    expect(new Set(windows.map((w) => w.nodeId)).size).toBe(50);
  });

  it('fails the 17th client with 4 node bits, saying how many are held', async () => {
    const clients = Array.from({ length: 17 }, () => redis.client());
    const outcomes = await Promise.allSettled(clients.map((client) => lease({ redis: client, nodeBits: 4 }).acquire()));
    const granted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    expect(new Set(granted.map((o) => o.value.nodeId)).size).toBe(16);
    expect(refused).toHaveLength(1);
    expect(isNodeIdsExhaustedError(refused[0])).toBe(true);
    expect(refused[0].message).toMatch(/^All 16 TSID node IDs are leased \(16 of 16 held by live instances\)/);
  });

  it('stores a random token per incarnation with the TTL', async () => {
    const [a, b] = [lease(), lease()];
    const { nodeId } = await a.acquire();
    expect(a.token).not.toBe(b.token);
    expect(await admin.get(a.nodeKey(nodeId))).toBe(a.token);
    expect(await admin.pttl(a.nodeKey(nodeId))).toBeGreaterThan(9_000);
  });

  it('quarantines the first holder after Redis came up empty for the TTL plus the clock skew', async () => {
    const before = Date.now();
    const window = await lease({ ttlMs: 2_000, maxClockSkewMs: 300 }).acquire();
    expect(window.after).toBeGreaterThanOrEqual(before + 2_300);
    expect(window.until).toBeGreaterThanOrEqual(before + 2_000);
  });

  it('extends the window and the TTL while the key still holds its token', async () => {
    let now = Date.now();
    const holder = lease({ clock: () => now });
    const { nodeId, until } = await holder.acquire();
    now += 1_000;
    expect(await holder.refresh()).toEqual({ status: 'extended', until: until + 1_000 });
    expect(Number(await admin.hget(holder.highWaterMarkKey, String(nodeId)))).toBe(until + 1_000);
  });

  it('reports a deleted key as lost and does not re-create it', async () => {
    const holder = lease();
    const { nodeId } = await holder.acquire();
    await admin.del(holder.nodeKey(nodeId));
    expect(await holder.refresh()).toEqual({ status: 'lost' });
    expect(await admin.exists(holder.nodeKey(nodeId))).toBe(0);
  });

  it('reports an overwritten key as stolen, with the other value, and leaves it alone', async () => {
    const holder = lease();
    const { nodeId } = await holder.acquire();
    await admin.set(holder.nodeKey(nodeId), 'someone-else');
    expect(await holder.refresh()).toEqual({ status: 'stolen', holder: 'someone-else' });
    expect(await admin.get(holder.nodeKey(nodeId))).toBe('someone-else');
  });

  it('starts a successor after everything its predecessor may have issued, once the lease expired', async () => {
    const first = lease({ nodeBits: 0, ttlMs: 300 });
    const firstWindow = await first.acquire();
    await waitFor('the lease to expire', async () => (await admin.exists(first.nodeKey(0))) === 0);
    const secondWindow = await lease({ nodeBits: 0, ttlMs: 300 }).acquire();
    expect(secondWindow.after).toBeGreaterThanOrEqual(firstWindow.until);
  });

  it('quarantines after FLUSHALL beyond the window of a holder that has not noticed yet', async () => {
    const first = lease({ nodeBits: 0, ttlMs: 2_000, maxClockSkewMs: 100 });
    await first.acquire();
    const { until } = await first
      .refresh()
      .then((r) => (r.status === 'extended' ? r : Promise.reject(new Error(r.status))));
    await redis.flushAll();
    const second = await lease({ nodeBits: 0, ttlMs: 2_000, maxClockSkewMs: 100 }).acquire();
    expect(second.after).toBeGreaterThanOrEqual(until + 100);
    expect(await first.refresh()).toEqual({ status: 'stolen', holder: expect.any(String) });
  });

  it('releases only its own key, lowering the high-water mark to what it issued', async () => {
    const holder = lease({ nodeBits: 0 });
    const { after } = await holder.acquire();
    expect(await holder.release(after + 5, after)).toBe(true);
    expect(await admin.exists(holder.nodeKey(0))).toBe(0);
    expect((await lease({ nodeBits: 0 }).acquire()).after).toBe(after + 5);

    const late = lease({ nodeBits: 1 });
    const { nodeId } = await late.acquire();
    await admin.set(late.nodeKey(nodeId), 'successor');
    expect(await late.release(0, 0)).toBe(false);
    expect(await admin.get(late.nodeKey(nodeId))).toBe('successor');
  });
});
