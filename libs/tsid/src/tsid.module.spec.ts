import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthModule, HealthRegistry, StartupGate } from '@nestjs-reliability/health';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import type { Redis } from 'ioredis';
import { type RedisServer, startRedis, waitFor } from '../../../test/support';
import { isTsidUnavailableError, TsidModule, type TsidModuleOptions, TsidService } from '.';
import { NodeLeaseService } from './node-lease.service';

describe('TsidModule', () => {
  let redis: RedisServer;
  let admin: Redis;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
  });
  beforeEach(() => redis.flushAll());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function boot(options: Omit<TsidModuleOptions, 'exit'>, exit = jest.fn()) {
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({}), HealthModule.forRoot({}), TsidModule.forRoot({ ...options, exit })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return { app, exit, tsid: app.get(TsidService), lease: app.get(NodeLeaseService) };
  }

  const issues = (tsid: TsidService) => {
    try {
      tsid.generate();
      return true;
    } catch (error) {
      if (isTsidUnavailableError(error)) return false;
      throw error;
    }
  };

  it('issues with a static node ID at once, without Redis', async () => {
    const { tsid } = await boot({ nodeId: 42 });
    expect(tsid.decode(tsid.generate()).nodeId).toBe(42);
  });

  it('holds start-up until a node ID is leased, then issues with it once readiness says so', async () => {
    const { app, tsid, lease } = await boot({ nodeBits: 4, lease: { redis: admin, ttlMs: 1_000 }, maxClockSkewMs: 0 });
    const gate = app.get(StartupGate);
    await waitFor('the lease', () => gate.pendingHolds.length === 0);
    const nodeId = Number((await admin.keys('sys:tsid:node:*'))[0]?.split(':').at(-1));
    expect(await admin.get(`sys:tsid:node:${nodeId}`)).toBe(lease.token);
    // Redis was empty: the first holder waits out the quarantine (TTL + skew), refreshing meanwhile.
    const check = app
      .get(HealthRegistry)
      .list()
      .find((d) => d.name === 'tsid')!;
    expect(await check.check()).toEqual({
      tsid: { status: 'down', message: expect.stringMatching(/^No TSID can be issued until/) },
    });
    await waitFor('the quarantine to end', () => issues(tsid), 5_000);
    expect(tsid.decode(tsid.generate()).nodeId).toBe(nodeId);
    expect(await check.check()).toEqual({ tsid: { status: 'up', nodeId } });
    const metrics = await app.get(MetricsService).registry.metrics();
    expect(metrics).toMatch(new RegExp(`^tsid_node_id ${nodeId}$`, 'm'));
    expect(metrics).toMatch(/^tsid_ids_issued_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^tsid_lock_ttl_seconds 0\.\d+$/m);
  });

  it('stops issuing at once and exits with 75 when the key is overwritten, counting it as stolen', async () => {
    const { app, tsid, exit } = await boot({
      nodeBits: 0,
      lease: { redis: admin, ttlMs: 1_000, refreshIntervalMs: 50 },
      maxClockSkewMs: 0,
    });
    await waitFor('the quarantine to end', () => issues(tsid), 5_000);
    await admin.set('sys:tsid:node:0', 'intruder');
    await waitFor('the refresh to notice', () => exit.mock.calls.length > 0);
    expect(exit).toHaveBeenCalledWith(75);
    expect(() => tsid.generate()).toThrow(/the TSID lease of node ID 0 was stolen/);
    expect(await app.get(MetricsService).registry.metrics()).toMatch(/^tsid_lock_stolen_total 1$/m);
    expect(await admin.get('sys:tsid:node:0')).toBe('intruder');
  });

  it('exits with 75 when the key disappears, and does not re-create it', async () => {
    const { app, exit } = await boot({ nodeBits: 0, lease: { redis: admin, ttlMs: 1_000, refreshIntervalMs: 50 } });
    await waitFor('the lease', () => app.get(StartupGate).pendingHolds.length === 0);
    await admin.del('sys:tsid:node:0');
    await waitFor('the refresh to notice', () => exit.mock.calls.length > 0);
    expect(exit).toHaveBeenCalledWith(75);
    expect(await app.get(MetricsService).registry.metrics()).toMatch(/^tsid_lock_lost_total{reason="key-missing"} 1$/m);
    expect(await admin.exists('sys:tsid:node:0')).toBe(0);
  });

  it('runs the lease on a connection of its own with replicaAcks (WAIT blocks it), closed on shutdown', async () => {
    const args = ['--repl-diskless-sync-delay', '0'];
    const primary = await startRedis(args);
    await startRedis([...args, '--replicaof', '127.0.0.1', String(primary.port)]);
    await waitFor('the replica to acknowledge writes', async () => (await primary.replicasAcknowledging(1)) === 1);
    const shared = primary.client();
    const clients = async () => (await primary.command(['CLIENT', 'LIST'])).trim().split('\n').length;
    await shared.ping();
    const before = await clients();
    const pipeline = jest.spyOn(shared, 'pipeline');
    const evalOnShared = jest.spyOn(shared, 'eval');
    const { app } = await boot({ nodeBits: 0, lease: { redis: shared, ttlMs: 1_000, replicaAcks: 1 } });
    await waitFor('the lease', () => app.get(StartupGate).pendingHolds.length === 0);
    expect(await primary.command(['EXISTS', 'sys:tsid:node:0'])).toBe('1');
    expect({ pipeline: pipeline.mock.calls.length, eval: evalOnShared.mock.calls.length }).toEqual({
      pipeline: 0,
      eval: 0,
    });
    expect(await clients()).toBe(before + 1);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    await waitFor('the lease connection to close', async () => (await clients()) === before);
    expect(await primary.command(['EXISTS', 'sys:tsid:node:0'])).toBe('0');
    // Control: without replicaAcks the lease runs on the client it was given.
    await boot({ nodeBits: 0, lease: { redis: shared, ttlMs: 1_000 } });
    await waitFor('a lease script on the shared client', () => evalOnShared.mock.calls.length > 0);
  });

  it('releases the lease on shutdown, so the next holder starts right after the last issued ID', async () => {
    const { app, tsid } = await boot({ nodeBits: 0, lease: { redis: admin, ttlMs: 1_000 }, maxClockSkewMs: 0 });
    await waitFor('the quarantine to end', () => issues(tsid), 5_000);
    const last = tsid.decode(tsid.generate()).timestamp;
    await app.close();
    expect(await admin.exists('sys:tsid:node:0')).toBe(0);
    expect(Number(await admin.hget('sys:tsid:hwm', '0'))).toBe(last);
  });

  it('fails start-up with exit code 1 when every node ID is leased', async () => {
    await admin.set('sys:tsid:node:0', 'other');
    await admin.set('sys:tsid:node:1', 'other');
    const { exit } = await boot({ nodeBits: 1, lease: { redis: admin } });
    await waitFor('the exhaustion to be noticed', () => exit.mock.calls.length > 0);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('rejects options that set both or neither strategy', async () => {
    await expect(boot({})).rejects.toThrow(
      'TsidModule: option "nodeId" is undefined; set either a static nodeId or lease options',
    );
  });
});
