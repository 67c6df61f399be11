import { startRedisCluster } from '../../../test/support';
import { clusterStatusFor, keySlot } from './cluster-slot';

// Against a real Redis Cluster: its CLUSTER KEYSLOT is the reference, and its nodes die for real.
describe('the slot of a key, and the status of the node serving it', () => {
  it('maps keys to the slots Redis does, hash tags included', async () => {
    const cluster = await startRedisCluster(3);
    const keys = [
      '123456789',
      'bull:provisioning:meta',
      '{bull}:provisioning:meta',
      '{user1000}.following',
      'foo{}{bar}',
      'foo{{bar}}zap',
      'foo{bar}{zap}',
      '{',
      '}{x}',
      'ключ{é}',
      '',
    ];
    const slots = await Promise.all(keys.map((key) => cluster.nodes[0].command(['CLUSTER', 'KEYSLOT', key])));
    expect(keys.map(keySlot)).toEqual(slots.map(Number));
  });

  it('reports the node serving a key as gone while the cluster client still says ready (control)', async () => {
    const cluster = await startRedisCluster(3);
    const client = cluster.client();
    const key = '{bull}:provisioning:meta';
    await client.set(key, '1');
    expect(clusterStatusFor(client, key)).toBe('ready');
    const serving = await cluster.nodeFor(key);
    await serving.kill();
    await client.get(key).catch(() => undefined);
    expect(client.status).toBe('ready');
    expect(clusterStatusFor(client, key)).not.toBe('ready');
  });
});
