import { type RedisServer, startRedis, waitFor } from '../../../test/support';
import { NodeLease } from './node-lease';

/** A primary and a replica linked by replication, so the replica can be promoted by hand. */
async function primaryWithReplica(): Promise<{ primary: RedisServer; replica: RedisServer }> {
  const args = ['--repl-diskless-sync-delay', '0'];
  const primary = await startRedis(args);
  const replica = await startRedis([...args, '--replicaof', '127.0.0.1', String(primary.port)]);
  await waitFor('the replica to acknowledge writes', async () => (await primary.replicasAcknowledging(1)) === 1);
  return { primary, replica };
}

const leaseOn = (server: RedisServer, options: { replicaAcks?: number; clock?: () => number } = {}) =>
  new NodeLease({ redis: server.client(), nodeBits: 0, ttlMs: 2_000, maxClockSkewMs: 100, ...options });

describe('TSID lease across a promotion (real primary and replica)', () => {
  it('starts the successor on a promoted replica that missed the last refresh after everything the holder may issue', async () => {
    const { primary, replica } = await primaryWithReplica();
    const holder = leaseOn(primary);
    const acquired = await holder.acquire();
    // Kept alive past the first quarantine, so the last refresh's window ends beyond everything the replica has.
    await waitFor('half the TTL', () => Date.now() > acquired.until - 1_000, 5_000);
    const first = await holder.refresh();
    if (first.status !== 'extended') throw new Error(`refresh ${first.status}`);
    await waitFor('the holder’s window to open', () => Date.now() > acquired.after, 5_000);
    await waitFor(
      'the refresh to reach the replica',
      async () => (await replica.command(['HGET', 'sys:tsid:hwm', '0'])) === String(first.until),
    );
    // The replica is promoted (the Sentinels lost sight of the primary), then the old primary extends the holder.
    await replica.command(['REPLICAOF', 'NO', 'ONE']);
    const refreshed = await holder.refresh();
    if (refreshed.status !== 'extended') throw new Error(`refresh ${refreshed.status}`);
    await primary.kill();

    // Control: the promoted replica's high-water mark and quarantine end are below the holder's window, so a lease
    // that trusted them would hand out timestamps the holder may still issue.
    const [mark, epoch] = (await replica.command(['HMGET', 'sys:tsid:hwm', '0', 'epoch'])).split(',').map(Number);
    expect(Math.max(mark, epoch)).toBeLessThan(refreshed.until);
    const successor = leaseOn(replica);
    const window = await waitFor('the old key to expire on the new primary', () =>
      successor.acquire().catch(() => undefined),
    );
    expect(window.after).toBeGreaterThanOrEqual(refreshed.until);
  });

  it('does not count a refresh that the replicas did not acknowledge', async () => {
    const { primary, replica } = await primaryWithReplica();
    const holder = leaseOn(primary, { replicaAcks: 1 });
    const { after } = await holder.acquire();
    expect(holder.replicasListed).toBe(1);
    await replica.command(['REPLICAOF', 'NO', 'ONE']);
    await expect(holder.refresh()).rejects.toThrow(
      'Only 0 of the 1 Redis replicas required acknowledged the lease of TSID node ID 0 in time',
    );
    await holder.release(after, after);
    // An acquire without the acknowledgement is refused and gives its node ID back.
    await expect(leaseOn(primary, { replicaAcks: 1 }).acquire()).rejects.toThrow('Only 0 of the 1');
    expect(await primary.command(['EXISTS', 'sys:tsid:node:0'])).toBe('0');
  });

  // Split brain: the old primary stays reachable to the holder after the Sentinels promoted the replica.
  it.each([
    [0, 'the windows overlap (control: duplicate IDs)'],
    [1, 'the holder’s refresh on the old primary throws'],
  ])('old primary kept alive after a promotion, replicaAcks %d: %s', async (replicaAcks) => {
    const { primary, replica } = await primaryWithReplica();
    const holder = leaseOn(primary, { replicaAcks });
    await holder.acquire();
    const last = await holder.refresh();
    if (last.status !== 'extended') throw new Error(`refresh ${last.status}`);
    await waitFor(
      'the refresh to reach the replica',
      async () => (await replica.command(['HGET', 'sys:tsid:hwm', '0'])) === String(last.until),
    );
    await replica.command(['REPLICAOF', 'NO', 'ONE']);
    // The holder keeps refreshing on the old primary (as its service would) while a successor waits for node ID 0
    // to expire on the promoted replica.
    const successor = leaseOn(replica);
    const window = await waitFor('the successor to lease node ID 0 on the promoted replica', async () => {
      await holder.refresh().catch(() => undefined);
      return successor.acquire().catch(() => undefined);
    });
    expect(window.nodeId).toBe(0);
    const refreshing = holder.refresh();
    if (replicaAcks === 0) {
      const refreshed = await refreshing;
      if (refreshed.status !== 'extended') throw new Error(`refresh ${refreshed.status}`);
      expect(refreshed.until).toBeGreaterThan(window.after);
    } else {
      await expect(refreshing).rejects.toThrow('Only 0 of the 1 Redis replicas required acknowledged the lease');
    }
  });
});
