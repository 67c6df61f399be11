import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { METRICS_RECORDER, type MetricsRecorder } from '@nestjs-reliability/common';
import { RESOLVED_TSID_OPTIONS } from './tsid.module-definition';
import type { ResolvedTsidOptions } from './tsid.options';
import type { DecodedTsid, TsidCodec } from './tsid.codec';
import { TsidGenerator } from './tsid.generator';

/**
 * Issues and reads TSIDs. `generate()` throws `TsidUnavailableError` while no valid node ID is held (map it to
 * 503) and `ClockMovedBackwardsError` when the clock stepped back beyond the bound; `decode()` throws
 * `InvalidTsidError` for malformed input (400).
 */
@Injectable()
export class TsidService {
  readonly generator: TsidGenerator;
  readonly codec: TsidCodec;
  private readonly logger = new Logger('Tsid');
  private lastBackwardsLog = 0;

  constructor(
    @Inject(RESOLVED_TSID_OPTIONS) options: ResolvedTsidOptions,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    const backwards = metrics?.counter({
      name: 'tsid_clock_backwards_total',
      help: 'TSID requests refused because the clock stepped back beyond maxClockBackwardMs.',
    });
    backwards?.inc(0);
    this.generator = new TsidGenerator({
      nodeBits: options.nodeBits,
      epoch: options.epoch,
      clock: options.clock,
      maxClockBackwardMs: options.maxClockBackwardMs,
      onClockBackwards: (behindMs) => {
        backwards?.inc();
        // One line per second at most: a stepped-back clock refuses every request until it catches up.
        if (Date.now() - this.lastBackwardsLog < 1_000) return;
        this.lastBackwardsLog = Date.now();
        this.logger.error(
          `The clock is ${behindMs} ms behind the last issued TSID timestamp (bound ${options.maxClockBackwardMs} ms); ` +
            'refusing to issue IDs until it catches up.',
        );
      },
    });
    this.codec = this.generator.codec;
    if (options.nodeId !== undefined)
      this.generator.assign({ nodeId: options.nodeId, after: -Infinity, until: Infinity });

    const generator = this.generator;
    metrics?.gauge({
      name: 'tsid_node_id',
      help: 'Node ID this instance issues TSIDs with; -1 while it holds none.',
      collect() {
        this.set(generator.currentNodeId);
      },
    });
    let reported = 0;
    metrics?.counter({
      name: 'tsid_ids_issued_total',
      help: 'TSIDs issued by this instance.',
      collect() {
        this.inc(generator.issued - reported);
        reported = generator.issued;
      },
    });
  }

  /** A new TSID as 13 Crockford base32 characters. */
  generate(): string {
    return this.generator.generate();
  }

  /** A new TSID as an unsigned 64-bit bigint. */
  generateBigInt(): bigint {
    return this.generator.generateBigInt();
  }

  /** Timestamp (Unix ms), node ID and counter of a TSID; `InvalidTsidError` when malformed. */
  decode(id: string): DecodedTsid {
    return this.codec.decode(id);
  }
}
