import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, waitFor, type RedisServer } from '../../../test/support';
import { LockModule } from './lock.module';
import { currentLock } from './lock.service';
import { WithLock } from './with-lock.decorator';

// Shared by both "instances" (two Nest apps in this process), so overlap between them is visible.
const activity = { running: 0, maxRunning: 0, runs: 0 };

async function job(): Promise<void> {
  activity.running++;
  activity.maxRunning = Math.max(activity.maxRunning, activity.running);
  activity.runs++;
  await sleep(40);
  activity.running--;
}

@Injectable()
class LockBelowInterval {
  @Interval(10)
  @WithLock('nightly-report', { ttlMs: 1_000 })
  report(): Promise<void> {
    return job();
  }
}

@Injectable()
class LockAboveInterval {
  @WithLock('nightly-report', { ttlMs: 1_000 })
  @Interval(10)
  report(): Promise<void> {
    return job();
  }
}

@Injectable()
class FencedJob {
  @WithLock('fenced-write', { whenLocked: 'throw' })
  write(): Promise<number> {
    return Promise.resolve(currentLock()!.fencingToken);
  }
}

async function startInstance(redis: RedisServer, jobClass: new () => object): Promise<INestApplicationContext> {
  const client = redis.client();
  const app = await NestFactory.createApplicationContext(
    {
      module: class InstanceModule {},
      imports: [ScheduleModule.forRoot(), LockModule.forRoot({ clients: [client], isGlobal: true })],
      providers: [jobClass],
    },
    { logger: false },
  );
  await app.init();
  return app;
}

describe('@WithLock', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  it.each([
    ['below', LockBelowInterval],
    ['above', LockAboveInterval],
  ])('written %s @Interval, runs the job on one instance at a time', async (_order, jobClass) => {
    Object.assign(activity, { running: 0, maxRunning: 0, runs: 0 });
    const instances = [await startInstance(redis, jobClass), await startInstance(redis, jobClass)];
    await sleep(600);
    await Promise.all(instances.map((app) => app.close()));
    // Closing stops the intervals but does not wait for a run in progress.
    await waitFor('the last run to finish', () => activity.running === 0);
    expect(activity.runs).toBeGreaterThanOrEqual(3);
    expect(activity.maxRunning).toBe(1);
  });

  it('gives the method its lock’s fencing token through currentLock()', async () => {
    const app = await startInstance(redis, FencedJob);
    const job = app.get(FencedJob);
    const first = await job.write();
    await expect(job.write()).resolves.toBe(first + 1);
    expect(currentLock()).toBeUndefined();
    await app.close();
  });

  it('keeps the method name', () => {
    expect(LockBelowInterval.prototype.report.name).toBe('report');
    expect(LockAboveInterval.prototype.report.name).toBe('report');
  });

  it('says how to fix a class that Nest did not create', async () => {
    await expect(new LockBelowInterval().report()).rejects.toThrow(
      '@WithLock("nightly-report") on LockBelowInterval.report has no LockService: import LockModule.forRoot(...)',
    );
  });
});
