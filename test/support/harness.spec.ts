import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedis } from '.';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('real-Redis harness', () => {
  it('starts redis-server on a free port that is never 6379', async () => {
    const redis = await startRedis();
    expect(redis.port).not.toBe(6379);
    await expect(redis.client().ping()).resolves.toBe('PONG');
  });

  it('restart() keeps the port and loses every key, like Redis without persistence', async () => {
    const redis = await startRedis();
    const client = redis.client();
    await client.set('k', 'v');
    await redis.restart();
    expect(await redis.command(['GET', 'k'])).toBe('null');
    expect(await redis.command(['PING'])).toBe('PONG');
  });

  it('kill() makes commands fail until restart()', async () => {
    const redis = await startRedis();
    await redis.kill();
    await expect(redis.command(['PING'])).rejects.toThrow();
    await redis.restart();
    expect(await redis.command(['PING'])).toBe('PONG');
  });

  it('flushAll() empties Redis and commandStats() counts commands', async () => {
    const redis = await startRedis();
    await redis.command(['SET', 'a', '1']);
    await redis.flushAll();
    expect(await redis.command(['DBSIZE'])).toBe('0');
    const stats = await redis.commandStats();
    expect(stats.set).toBe(1);
    expect(stats.flushall).toBe(1);
  });

  it('freePort() returns a port nothing listens on', async () => {
    const port = await freePort();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('kills the processes of a test file whose test throws', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'harness-')), 'pid');
    const root = join(__dirname, '..', '..');
    const run = promisify(execFile)(
      process.execPath,
      [
        join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        join(__dirname, 'fixtures', 'jest.fixture.config.js'),
      ],
      { cwd: root, env: { ...process.env, PID_FILE: pidFile } },
    );
    await expect(run).rejects.toMatchObject({ code: 1 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  }, 60_000);
});
