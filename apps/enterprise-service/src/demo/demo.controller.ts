import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { LockService } from '@nestjs-reliability/lock';
import { setTimeout as delay } from 'node:timers/promises';

export const MAX_SLOW_MS = 60_000;

/** Endpoints for load tests and shutdown drills, mounted only with `DEMO_ENDPOINTS=true`. */
@Controller('demo')
export class DemoController {
  constructor(private readonly locks: LockService) {}

  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }

  /** Answers after `ms` milliseconds: an in-flight request that a graceful shutdown must wait for. */
  @Get('slow')
  async slow(@Query('ms') ms?: string): Promise<{ ok: true; ms: number }> {
    const wait = parseDelay(ms);
    await delay(wait);
    return { ok: true, ms: wait };
  }

  /**
   * Holds a cluster-wide lock for `ms` milliseconds: 409 while another instance holds it, 503 while Redis is
   * unreachable. Shows `LockService` at work across instances.
   */
  @Get('exclusive')
  async exclusive(@Query('ms') ms?: string): Promise<{ ok: true; ms: number }> {
    const wait = parseDelay(ms);
    const outcome = await this.locks.tryRun('demo:exclusive', (signal) => delay(wait, undefined, { signal }));
    if (outcome.acquired) return { ok: true, ms: wait };
    if (outcome.reason === 'busy') throw new ConflictException({ statusCode: 409, error: 'held by another instance' });
    throw new ServiceUnavailableException({ statusCode: 503, error: 'lock unavailable' });
  }
}

function parseDelay(ms: string | undefined): number {
  const wait = ms === undefined ? 0 : Number(ms);
  if (!/^\d+$/.test(ms ?? '0') || wait > MAX_SLOW_MS) {
    throw new BadRequestException(`"ms" must be an integer from 0 to ${MAX_SLOW_MS}.`);
  }
  return wait;
}
