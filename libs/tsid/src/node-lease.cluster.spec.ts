import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Cluster } from 'ioredis';
import { type RedisCluster, startRedisCluster, waitFor } from '../../../test/support';
import { TsidModule, TsidService } from '.';
import { NodeLease, type NodeLeaseOptions } from './node-lease';
import { ACQUIRE_SCRIPT } from './node-lease.scripts';

describe('NodeLease on a real 3-primary Redis Cluster', () => {
  let cluster: RedisCluster;
  let admin: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    admin = cluster.client();
  });

  const lease = (options: Partial<NodeLeaseOptions> = {}) =>
    new NodeLease({
      redis: cluster.client(),
      nodeBits: 4,
      ttlMs: 5_000,
      maxClockSkewMs: 50,
      keyPrefix: '{tsid}:',
      ...options,
    });

  it('refuses a key prefix without a hash tag on a Cluster client', () => {
    expect(() => lease({ keyPrefix: 'sys:tsid:' })).toThrow(
      'TsidLease: option "keyPrefix" is "sys:tsid:"; on Redis Cluster it must contain a hash tag, e.g. "{tsid}:".',
    );
  });

  it('control: without a hash tag the acquire script touches keys in other slots and fails', async () => {
    const slots = await Promise.all(['sys:tsid:hwm', 'sys:tsid:node:0'].map((key) => admin.cluster('KEYSLOT', key)));
    expect(slots[0]).not.toBe(slots[1]);
    const args = ['sys:tsid:node:', 'token', 5_000, 0, 16, 16, Date.now() + 5_000, 5_050];
    await expect(admin.eval(ACQUIRE_SCRIPT, 1, 'sys:tsid:hwm', ...args)).rejects.toThrow(/slot|non local key/i);
  });

  it('gives two holders distinct node IDs, refreshes, and detects a stolen and a lost key', async () => {
    const [a, b] = [lease(), lease()];
    const [windowA, windowB] = await Promise.all([a.acquire(), b.acquire()]);
    expect(windowA.nodeId).not.toBe(windowB.nodeId);

    // Every lease key sits on the one node serving the hash tag's slot.
    const home = await cluster.nodeFor('{tsid}:hwm');
    const keys = (await home.command(['KEYS', '{tsid}:*'])).split(',').sort();
    expect(keys).toEqual(['{tsid}:hwm', `{tsid}:node:${windowA.nodeId}`, `{tsid}:node:${windowB.nodeId}`].sort());

    const refreshed = await a.refresh();
    expect(refreshed).toMatchObject({ status: 'extended' });
    expect(Number(await admin.hget(a.highWaterMarkKey, String(windowA.nodeId)))).toBe(
      (refreshed as { until: number }).until,
    );

    await admin.set(a.nodeKey(windowA.nodeId), 'someone-else');
    expect(await a.refresh()).toEqual({ status: 'stolen', holder: 'someone-else' });
    await admin.del(b.nodeKey(windowB.nodeId));
    expect(await b.refresh()).toEqual({ status: 'lost' });
  });

  it('serves TsidModule with a Cluster client', async () => {
    await admin.del('{ids}:hwm');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TsidModule.forRoot({
          nodeBits: 4,
          lease: { redis: cluster.client(), ttlMs: 1_000, keyPrefix: '{ids}:' },
          maxClockSkewMs: 0,
          exit: jest.fn(),
        }),
      ],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const tsid = app.get(TsidService);
      // An empty Cluster is quarantined for the TTL (plus skew) first, like an empty standalone Redis.
      const id = await waitFor('the first ID', () => {
        try {
          return tsid.generate();
        } catch {
          return undefined;
        }
      });
      const home = await cluster.nodeFor('{ids}:hwm');
      const nodeId = Number((await home.command(['KEYS', '{ids}:node:*'])).split(':').at(-1));
      expect(tsid.decode(id).nodeId).toBe(nodeId);
    } finally {
      await app.close();
    }
  });
});
