import { type FactoryProvider, Logger } from '@nestjs/common';
import { METRICS_RECORDER, type MetricsRecorder } from '@nestjs-reliability/common';
import { RESOLVED_TSID_OPTIONS, TSID_GENERATOR } from './tsid.module-definition';
import type { ResolvedTsidOptions } from './tsid.options';
import { TsidGenerator } from './tsid.generator';

/**
 * The module's one generator, shared by `TsidService` (issues and reads) and `NodeLeaseService` (assigns, extends and
 * revokes its window). Not exported: a window set by anything but the lease would break uniqueness.
 */
export const tsidGeneratorProvider: FactoryProvider<TsidGenerator> = {
  provide: TSID_GENERATOR,
  inject: [RESOLVED_TSID_OPTIONS, { token: METRICS_RECORDER, optional: true }],
  useFactory: createTsidGenerator,
};

function createTsidGenerator(options: ResolvedTsidOptions, metrics?: MetricsRecorder): TsidGenerator {
  const logger = new Logger('Tsid');
  let lastBackwardsLog = 0;
  const backwards = metrics?.counter({
    name: 'tsid_clock_backwards_total',
    help: 'TSID requests refused because the clock stepped back beyond maxClockBackwardMs.',
  });
  backwards?.inc(0);
  const generator = new TsidGenerator({
    nodeBits: options.nodeBits,
    epoch: options.epoch,
    clock: options.clock,
    maxClockBackwardMs: options.maxClockBackwardMs,
    onClockBackwards: (behindMs) => {
      backwards?.inc();
      // One line per second at most: a stepped-back clock refuses every request until it catches up.
      if (Date.now() - lastBackwardsLog < 1_000) return;
      lastBackwardsLog = Date.now();
      logger.error(
        `The clock is ${behindMs} ms behind the last issued TSID timestamp (bound ${options.maxClockBackwardMs} ms); ` +
          'refusing to issue IDs until it catches up.',
      );
    },
  });
  if (options.nodeId !== undefined) generator.assign({ nodeId: options.nodeId, after: -Infinity, until: Infinity });

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
  return generator;
}
