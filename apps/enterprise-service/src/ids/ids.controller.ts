import { BadRequestException, Controller, Get, Param, Query, ServiceUnavailableException } from '@nestjs/common';
import {
  isClockMovedBackwardsError,
  isInvalidTsidError,
  isTsidUnavailableError,
  TsidService,
} from '@nestjs-reliability/tsid';

export const MAX_IDS_PER_REQUEST = 1000;

@Controller('ids')
export class IdsController {
  constructor(private readonly tsid: TsidService) {}

  /** `count` fresh TSIDs (1–1000, default 1); 503 while no valid node lease is held. */
  @Get()
  issue(@Query('count') count?: string): { ids: string[] } {
    const n = count === undefined ? 1 : /^\d{1,4}$/.test(count) ? Number(count) : NaN;
    if (!(n >= 1 && n <= MAX_IDS_PER_REQUEST)) {
      throw new BadRequestException(
        `count must be an integer from 1 to ${MAX_IDS_PER_REQUEST}; got "${String(count).slice(0, 20)}".`,
      );
    }
    const ids = new Array<string>(n);
    try {
      for (let i = 0; i < n; i++) ids[i] = this.tsid.generate();
    } catch (error) {
      if (isTsidUnavailableError(error) || isClockMovedBackwardsError(error)) {
        throw new ServiceUnavailableException({ statusCode: 503, error: 'ids unavailable', message: error.message });
      }
      throw error;
    }
    return { ids };
  }

  /** The parts of a TSID; 400 when malformed. */
  @Get(':id')
  decode(@Param('id') id: string): { id: string; timestamp: string; nodeId: number; counter: number } {
    try {
      const { timestamp, nodeId, counter } = this.tsid.decode(id);
      return { id: this.tsid.normalize(id), timestamp: new Date(timestamp).toISOString(), nodeId, counter };
    } catch (error) {
      if (isInvalidTsidError(error)) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
