export { TsidGenerator } from './tsid.generator';
export { TsidCodec, DEFAULT_TSID_EPOCH, DEFAULT_NODE_BITS } from './tsid.codec';
export { InvalidTsidError, isInvalidTsidError } from './invalid-tsid.error';
export { TsidUnavailableError, isTsidUnavailableError } from './tsid-unavailable.error';
export { ClockMovedBackwardsError, isClockMovedBackwardsError } from './clock-moved-backwards.error';
export type { TsidGeneratorOptions, IssueWindow } from './tsid.generator';
export type { DecodedTsid, TsidLayoutOptions } from './tsid.codec';
