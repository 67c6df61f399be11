import { Inject, Injectable } from '@nestjs/common';
import { TSID_GENERATOR } from './tsid.module-definition';
import type { DecodedTsid } from './tsid.codec';
import { TsidGenerator, type TsidStatus } from './tsid.generator';

/**
 * Issues and reads TSIDs. `generate()` throws `TsidUnavailableError` while no valid node ID is held (map it to
 * 503) and `ClockMovedBackwardsError` when the clock stepped back beyond the bound; `decode()` and `normalize()`
 * throw `InvalidTsidError` for malformed input (400).
 */
@Injectable()
export class TsidService {
  /** @internal Nest constructs it. */
  constructor(@Inject(TSID_GENERATOR) private readonly generator: TsidGenerator) {}

  /** A new TSID as 13 Crockford base32 characters. */
  generate(): string {
    return this.generator.generate();
  }

  /** A new TSID as an unsigned 64-bit bigint. */
  generateBigInt(): bigint {
    return this.generator.generateBigInt();
  }

  /** Timestamp (Unix ms), node ID and counter of a TSID. */
  decode(id: string): DecodedTsid {
    return this.generator.codec.decode(id);
  }

  /** The canonical (upper-case, `I`/`L` → 1, `O` → 0) text of a TSID, e.g. to look it up after user input. */
  normalize(id: string): string {
    return this.generator.codec.normalize(id);
  }

  /** Whether an ID could be issued now, with the node ID in use, or the reason `generate()` would throw. */
  status(): TsidStatus {
    return this.generator.status();
  }
}
