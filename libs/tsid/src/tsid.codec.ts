import { checkInteger } from '@nestjs-reliability/common';
import { DECODE, encode64 } from './crockford';
import { InvalidTsidError } from './invalid-tsid.error';

/** 2020-01-01T00:00:00Z, the epoch of tsid-creator and hypersistence-tsid: IDs stay comparable with theirs. */
export const DEFAULT_TSID_EPOCH = Date.UTC(2020, 0, 1);
export const DEFAULT_NODE_BITS = 10;
/** Node and counter share the 22 bits below the 42-bit timestamp. */
export const NODE_AND_COUNTER_BITS = 22;
export const MAX_TIMESTAMP = 2 ** 42 - 1;

export interface TsidLayoutOptions {
  /** Bits of the node ID, 0–20 (default 10: 1024 nodes, 4096 IDs per millisecond each). */
  nodeBits?: number;
  /** Unix milliseconds of timestamp 0 (default 2020-01-01T00:00:00Z). 42 bits then last 139 years. */
  epoch?: number;
}

export interface DecodedTsid {
  /** Unix milliseconds. */
  timestamp: number;
  nodeId: number;
  counter: number;
}

const TWO_32 = 2 ** 32;

/** Reads and writes TSIDs of one layout: 42-bit millisecond timestamp, `nodeBits` node ID, the rest counter. */
export class TsidCodec {
  readonly nodeBits: number;
  readonly counterBits: number;
  readonly epoch: number;

  constructor(options: TsidLayoutOptions = {}) {
    this.nodeBits = checkInteger('Tsid', 'nodeBits', options.nodeBits ?? DEFAULT_NODE_BITS, 0, 20);
    this.counterBits = NODE_AND_COUNTER_BITS - this.nodeBits;
    this.epoch = checkInteger('Tsid', 'epoch', options.epoch ?? DEFAULT_TSID_EPOCH, 0, Date.now());
  }

  get maxNodeId(): number {
    return 2 ** this.nodeBits - 1;
  }

  get maxCounter(): number {
    return 2 ** this.counterBits - 1;
  }

  /** Throws `InvalidTsidError` unless `id` is 13 Crockford base32 characters encoding at most 64 bits. */
  decode(id: string): DecodedTsid {
    const [hi, lo] = parse(id);
    return {
      timestamp: hi * 1024 + (lo >>> NODE_AND_COUNTER_BITS) + this.epoch,
      nodeId: (lo >>> this.counterBits) & this.maxNodeId,
      counter: lo & this.maxCounter,
    };
  }

  /** The canonical (upper-case) text of `id`, or `InvalidTsidError`. */
  normalize(id: string): string {
    const [hi, lo] = parse(id);
    return encode64(hi, lo);
  }

  toBigInt(id: string): bigint {
    const [hi, lo] = parse(id);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  fromBigInt(value: bigint): string {
    if (typeof value !== 'bigint' || value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw new InvalidTsidError(value, 'it must be an unsigned 64-bit bigint');
    }
    return encode64(Number(value >> 32n), Number(value & 0xffff_ffffn));
  }

  /** Builds the TSID of the given parts (e.g. the smallest ID of a millisecond, for range queries). */
  compose({ timestamp, nodeId, counter }: DecodedTsid): string {
    const t = checkInteger('Tsid', 'timestamp', timestamp - this.epoch, 0, MAX_TIMESTAMP);
    checkInteger('Tsid', 'nodeId', nodeId, 0, this.maxNodeId);
    checkInteger('Tsid', 'counter', counter, 0, this.maxCounter);
    const lo = ((t % 1024) * 2 ** NODE_AND_COUNTER_BITS + nodeId * 2 ** this.counterBits + counter) % TWO_32;
    return encode64(Math.floor(t / 1024), lo);
  }
}

/** The two unsigned 32-bit halves of a TSID's text. */
function parse(id: string): [hi: number, lo: number] {
  if (typeof id !== 'string') throw new InvalidTsidError(id, 'it must be a string');
  if (id.length !== 13) throw new InvalidTsidError(id, `it has ${id.length} characters instead of 13`);
  const v = new Array<number>(13);
  for (let i = 0; i < 13; i++) {
    const code = id.charCodeAt(i);
    const value = code < 128 ? DECODE[code] : -1;
    if (value < 0)
      throw new InvalidTsidError(id, `character ${i + 1} (${JSON.stringify(id[i])}) is not Crockford base32`);
    v[i] = value;
  }
  if (v[0] > 15) throw new InvalidTsidError(id, 'its first character is above F, so it does not fit in 64 bits');
  const hi =
    ((v[0] << 28) | (v[1] << 23) | (v[2] << 18) | (v[3] << 13) | (v[4] << 8) | (v[5] << 3) | (v[6] >>> 2)) >>> 0;
  const lo =
    (((v[6] & 3) << 30) | (v[7] << 25) | (v[8] << 20) | (v[9] << 15) | (v[10] << 10) | (v[11] << 5) | v[12]) >>> 0;
  return [hi, lo];
}
