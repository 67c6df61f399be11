import fc from 'fast-check';
import { InvalidTsidError, isInvalidTsidError, TsidCodec } from '.';

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('TsidCodec', () => {
  const codec = new TsidCodec();

  it('round-trips every 64-bit value through its 13-character text', () => {
    fc.assert(
      fc.property(u64, (value) => {
        const text = codec.fromBigInt(value);
        expect(text).toMatch(/^[0-9A-F][0-9A-HJKMNP-TV-Z]{12}$/);
        expect(codec.toBigInt(text)).toBe(value);
      }),
    );
  });

  it('sorts text in the same order as the numbers', () => {
    fc.assert(
      fc.property(u64, u64, (a, b) => {
        const [ta, tb] = [codec.fromBigInt(a), codec.fromBigInt(b)];
        expect(Math.sign(ta < tb ? -1 : ta > tb ? 1 : 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('decodes the parts it was composed from, for every node width', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.nat(2 ** 42 - 1), fc.nat(), fc.nat(), (nodeBits, t, n, c) => {
        const layout = new TsidCodec({ nodeBits, epoch: 0 });
        const parts = { timestamp: t, nodeId: n % (layout.maxNodeId + 1), counter: c % (layout.maxCounter + 1) };
        expect(layout.decode(layout.compose(parts))).toEqual(parts);
      }),
    );
  });

  it('places the timestamp in the top 42 bits, then the node ID, then the counter', () => {
    const layout = new TsidCodec({ nodeBits: 10, epoch: 0 });
    const value = layout.toBigInt(layout.compose({ timestamp: 5, nodeId: 3, counter: 7 }));
    expect(value).toBe((5n << 22n) | (3n << 12n) | 7n);
  });

  it('reads lower case and Crockford aliases (I, L as 1; O as 0)', () => {
    const canonical = codec.fromBigInt(0x0123_4567_89ab_cdefn);
    expect(codec.normalize(canonical.toLowerCase())).toBe(canonical);
    expect(codec.normalize('0ILO000000000')).toBe('0110000000000');
    expect(codec.normalize('0ilo000000000')).toBe('0110000000000');
  });

  it.each([
    ['too short', '0123456789AB', /12 characters instead of 13/],
    ['too long', '0123456789ABCD', /14 characters instead of 13/],
    ['with U', '0123456789ABU', /character 13 \("U"\) is not Crockford base32/],
    ['with a symbol', '0123-56789ABC', /character 5 \("-"\) is not Crockford base32/],
    ['with a non-ASCII letter', '0123456789ABÉ', /character 13/],
    ['above 64 bits', 'G000000000000', /first character is above F/],
  ])('rejects text %s with a message saying why', (_case, input, reason) => {
    expect(() => codec.decode(input)).toThrow(reason);
    expect(() => codec.decode(input)).toThrow(InvalidTsidError);
  });

  it('rejects non-strings and out-of-range bigints', () => {
    expect(() => codec.decode(42 as unknown as string)).toThrow(
      'A value of type number is not a TSID: it must be a string',
    );
    expect(() => codec.fromBigInt(-1n)).toThrow('-1n is not a TSID: it must be an unsigned 64-bit bigint');
    expect(() => codec.fromBigInt(2n ** 64n)).toThrow(InvalidTsidError);
  });

  it('recognises its errors by brand', () => {
    expect(isInvalidTsidError(new InvalidTsidError('x', 'y'))).toBe(true);
    expect(isInvalidTsidError(new TypeError('x'))).toBe(false);
  });

  it('rejects a layout outside 0–20 node bits', () => {
    expect(() => new TsidCodec({ nodeBits: 21 })).toThrow(
      'Tsid: option "nodeBits" is 21; it must be an integer from 0 to 20.',
    );
  });
});
