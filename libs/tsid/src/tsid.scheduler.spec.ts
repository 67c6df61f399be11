import { Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { TsidModule } from '.';

@Injectable()
class Ticker {
  @Interval(60_000)
  tick(): void {}
}

// Nest tells dynamic modules apart by object identity: a library that imported `ScheduleModule.forRoot()` itself
// would give the app a second scheduler, and every `@Interval`/`@Cron` of the app would run twice.
describe('TsidModule and the application scheduler', () => {
  it('never creates a scheduler of its own beside the application one', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), TsidModule.forRoot({ nodeId: 1 })],
      providers: [Ticker],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const schedulers = [...app.get(ModulesContainer).values()].filter((module) => module.metatype === ScheduleModule);
      expect(schedulers).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
