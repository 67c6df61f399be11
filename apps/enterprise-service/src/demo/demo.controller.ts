import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';

export const MAX_SLOW_MS = 60_000;

/** Endpoints for load tests and shutdown drills, mounted only with `DEMO_ENDPOINTS=true`. */
@Controller('demo')
export class DemoController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }

  /** Answers after `ms` milliseconds: an in-flight request that a graceful shutdown must wait for. */
  @Get('slow')
  async slow(@Query('ms') ms?: string): Promise<{ ok: true; ms: number }> {
    const wait = ms === undefined ? 0 : Number(ms);
    if (!/^\d+$/.test(ms ?? '0') || wait > MAX_SLOW_MS) {
      throw new BadRequestException(`"ms" must be an integer from 0 to ${MAX_SLOW_MS}.`);
    }
    await delay(wait);
    return { ok: true, ms: wait };
  }
}
