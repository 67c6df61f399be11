import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, waitFor, type RedisServer } from '../../../test/support';
import { isLockLostError } from './lock-lost.error';
import { LockUnavailableError } from './lock-unavailable.error';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { LockService } from './lock.service';
import type { LockModuleOptions } from './lock.options';

// One LockService per simulated instance, each with its own connections, as separate processes would have.
const instance = (servers: RedisServer[], options: Partial<LockModuleOptions> = {}): LockService =>
  new LockService({ clients: servers.map((server) => server.client()), ...options });

describe('LockService on a real Redis', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => redis.flushAll());

  it('runs the routine on one instance while another is turned away at once', async () => {
    const [a, b] = [instance([redis]), instance([redis])];
    let release!: () => void;
    const held = a.tryRun('report', () => new Promise<string>((resolve) => (release = () => resolve('done'))));
    await waitFor('a to hold the lock', async () => (await redis.command(['EXISTS', 'lock:{report}'])) === '1');

    await expect(b.tryRun('report', () => 'b ran')).resolves.toEqual({ acquired: false, reason: 'busy' });
    await expect(b.run('report', () => 'b ran')).rejects.toMatchObject({ reason: 'busy', resource: 'report' });

    release();
    await expect(held).resolves.toEqual({ acquired: true, value: 'done' });
    await expect(b.tryRun('report', () => 'b ran')).resolves.toEqual({ acquired: true, value: 'b ran' });
  });

  it('never lets two instances run the routine at the same time under contention', async () => {
    const instances = [instance([redis]), instance([redis]), instance([redis])];
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const deadline = Date.now() + 1_500;
    await Promise.all(
      instances.map(async (locks) => {
        while (Date.now() < deadline) {
          await locks.tryRun('contended', async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            runs++;
            await sleep(5);
            running--;
          });
        }
      }),
    );
    expect(runs).toBeGreaterThan(10);
    expect(maxRunning).toBe(1);
  });

  it('extends the lock while a routine outlives its TTL', async () => {
    const [a, b] = [instance([redis], { ttlMs: 300 }), instance([redis], { ttlMs: 300 })];
    const held = a.tryRun('long', async (signal) => {
      await sleep(1_000);
      return signal.aborted;
    });
    await waitFor('a to hold the lock', async () => (await redis.command(['EXISTS', 'lock:{long}'])) === '1');
    const deadline = Date.now() + 800;
    while (Date.now() < deadline) {
      await expect(b.tryRun('long', () => 'b')).resolves.toEqual({ acquired: false, reason: 'busy' });
      await sleep(50);
    }
    await expect(held).resolves.toEqual({ acquired: true, value: false });
  });

  it('aborts the routine with LockLostError as soon as an extension fails (key flushed)', async () => {
    const locks = instance([redis], { ttlMs: 400 });
    const outcome = locks.tryRun('flushed', async (signal) => {
      await redis.flushAll();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      expect(currentAbortSignal()).toBe(signal);
      return signal.reason as unknown;
    });
    const result = await outcome;
    expect(result.acquired && isLockLostError(result.value)).toBe(true);
  });

  it('hands each holder a fencing token above every earlier holder’s', async () => {
    const [a, b] = [instance([redis]), instance([redis])];
    const tokens: number[] = [];
    for (const locks of [a, b, a, b]) {
      await locks.run('fenced', (_signal, lock) => tokens.push(lock.fencingToken));
    }
    expect(tokens).toEqual([1, 2, 3, 4]);
  });

  it('aborts a routine whose process was paused past the lock’s validity, before any extension', async () => {
    const locks = instance([redis], { ttlMs: 300 });
    const outcome = await locks.tryRun('paused', async (signal) => {
      // Blocks the event loop past the TTL, as a long GC pause or SIGSTOP would: no extension could run.
      const until = Date.now() + 400;
      while (Date.now() < until);
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return signal.reason as unknown;
    });
    expect(outcome.acquired && isLockLostError(outcome.value)).toBe(true);
  });

  it('says the lock is unavailable, not busy, while Redis is down', async () => {
    const server = await startRedis();
    const locks = instance([server]);
    await server.kill();
    await expect(locks.tryRun('down', () => 'ran')).resolves.toEqual({ acquired: false, reason: 'unavailable' });
    const refused = locks.run('down', () => 'ran');
    await expect(refused).rejects.toBeInstanceOf(LockUnavailableError);
    await expect(refused).rejects.toThrow('too few Redis nodes answered');
  });

  it('returns the routine’s result even when the lock cannot be released', async () => {
    const server = await startRedis();
    const locks = instance([server], { ttlMs: 5_000 });
    const outcome = await locks.tryRun('orphan', async () => {
      await server.kill();
      return 42;
    });
    expect(outcome).toEqual({ acquired: true, value: 42 });
  });
});

describe('LockService with a quorum of three Redis masters', () => {
  it('keeps locking with one node down and refuses with two down', async () => {
    const servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
    const locks = instance(servers);
    await expect(locks.tryRun('q', () => 'all up')).resolves.toEqual({ acquired: true, value: 'all up' });

    await servers[0].kill();
    await expect(locks.tryRun('q', () => 'one down')).resolves.toEqual({ acquired: true, value: 'one down' });

    await servers[1].kill();
    await expect(locks.tryRun('q', () => 'two down')).resolves.toEqual({ acquired: false, reason: 'unavailable' });
  });
});

describe('LockService options', () => {
  it.each([
    [{ clients: [] }, 'LockModule: option "clients" is "0 clients"'],
    [{ clients: [{}, {}] }, 'an odd number of at least 3 independent masters'],
    [{ clients: [{}], ttlMs: 50 }, 'LockModule: option "ttlMs" is 50; it must be an integer ≥ 200.'],
    [{ clients: [{}], keyPrefix: 'lock:{a}:' }, 'it must not contain { or }'],
    [{ clients: [{}], replicaAcks: -1 }, 'LockModule: option "replicaAcks" is -1; it must be an integer'],
  ])('rejects %j at start-up', (options, message) => {
    expect(() => new LockService(options as unknown as LockModuleOptions)).toThrow(message);
  });
});
