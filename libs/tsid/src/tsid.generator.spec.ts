import fc from 'fast-check';
import { ClockMovedBackwardsError, isClockMovedBackwardsError, isTsidUnavailableError } from '.';
import { TsidGenerator } from './tsid.generator';

const T0 = Date.UTC(2025, 0, 1);
const open = { after: -Infinity, until: Infinity };

/** A clock that replays `readings`, then moves forward 1 ms per call (so a wait for the next millisecond ends). */
function scriptedClock(readings: number[]): () => number {
  let i = 0;
  let last = readings.at(-1) ?? T0;
  return () => (i < readings.length ? readings[i++] : ++last);
}

describe('TsidGenerator', () => {
  it('is strictly monotonic and in-window under arbitrary clock sequences, refusing only with typed errors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3_000, max: 3_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 17, max: 20 }),
        (steps, nodeBits) => {
          let t = T0;
          const readings = steps.map((step) => (t += step));
          const generator = new TsidGenerator({ nodeBits, clock: scriptedClock(readings), maxClockBackwardMs: 1_000 });
          generator.assign({ nodeId: 3, ...open });
          const values: bigint[] = [];
          for (let i = 0; i < readings.length; i++) {
            try {
              values.push(generator.generateBigInt());
            } catch (error) {
              if (!isClockMovedBackwardsError(error)) throw error;
            }
          }
          for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
          const maxReading = Math.max(...readings) + readings.length; // the replay then ticks 1 ms per call
          for (const value of values) {
            const { timestamp, nodeId } = generator.codec.decode(generator.codec.fromBigInt(value));
            expect(nodeId).toBe(3);
            expect(timestamp).toBeLessThanOrEqual(maxReading + 1_000);
          }
        },
      ),
    );
  });

  it('encodes the clock, the node ID and a counter that restarts every millisecond', () => {
    const generator = new TsidGenerator({ clock: scriptedClock([T0, T0, T0 + 1]) });
    generator.assign({ nodeId: 513, ...open });
    const ids = [generator.generate(), generator.generate(), generator.generate()];
    expect(ids.map((id) => generator.codec.decode(id))).toEqual([
      { timestamp: T0, nodeId: 513, counter: 0 },
      { timestamp: T0, nodeId: 513, counter: 1 },
      { timestamp: T0 + 1, nodeId: 513, counter: 0 },
    ]);
    expect(generator.issued).toBe(3);
  });

  it.each([0, 2, 10, 12, 20])('builds the same text as the codec with %i node bits', (nodeBits) => {
    const clock = scriptedClock([T0, T0, T0 + 977]);
    const generator = new TsidGenerator({ nodeBits, clock });
    const nodeId = 2 ** nodeBits - 1;
    generator.assign({ nodeId, ...open });
    for (let i = 0; i < 3; i++) {
      const id = generator.generate();
      expect(id).toBe(generator.codec.compose(generator.codec.decode(id)));
      expect(generator.codec.decode(id).nodeId).toBe(nodeId);
    }
  });

  it.each([0, 2, 11, 12])('builds the same text as the codec across counter values with %i node bits', (nodeBits) => {
    const generator = new TsidGenerator({ nodeBits, clock: scriptedClock(Array<number>(3_000).fill(T0)) });
    generator.assign({ nodeId: 2 ** nodeBits - 1, ...open });
    let previous = '';
    for (let i = 0; i < 3_000; i++) {
      const id = generator.generate();
      expect(id > previous).toBe(true);
      expect(generator.codec.toBigInt(id)).toBe(
        generator.codec.toBigInt(generator.codec.compose(generator.codec.decode(id))),
      );
      previous = id;
    }
  });

  it('waits for the next millisecond when the counter of the current one is used up', () => {
    // 20 node bits leave 4 counter values per millisecond.
    const generator = new TsidGenerator({ nodeBits: 20, clock: scriptedClock([T0, T0, T0, T0, T0, T0, T0, T0 + 1]) });
    generator.assign({ nodeId: 1, ...open });
    const decoded = Array.from({ length: 5 }, () => generator.codec.decode(generator.generate()));
    expect(decoded.map((d) => [d.timestamp - T0, d.counter])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
    ]);
  });

  it('keeps issuing from the last timestamp when the clock steps back a little, borrowing at most the bound', () => {
    const readings = [T0, ...Array<number>(8).fill(T0 - 2)];
    const onClockBackwards = jest.fn();
    const generator = new TsidGenerator({
      nodeBits: 20,
      clock: scriptedClock(readings),
      maxClockBackwardMs: 3,
      onClockBackwards,
    });
    generator.assign({ nodeId: 1, ...open });
    const stamps: number[] = [];
    for (let i = 0; i < 8; i++) stamps.push(generator.codec.decode(generator.generate()).timestamp - T0);
    // 4 per millisecond: T0 (clock T0), then T0 (borrowing counters), then T0+1 (2 + 1 ahead of the clock ≤ 3).
    expect(stamps).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(() => generator.generate()).toThrow(ClockMovedBackwardsError);
    expect(onClockBackwards).toHaveBeenCalledWith(4);
  });

  it('refuses, with the distance, when the clock steps back beyond the bound', () => {
    const onClockBackwards = jest.fn();
    const generator = new TsidGenerator({
      clock: scriptedClock([T0, T0 - 1_500]),
      maxClockBackwardMs: 1_000,
      onClockBackwards,
    });
    generator.assign({ nodeId: 1, ...open });
    generator.generate();
    expect(() => generator.generate()).toThrow(
      'The clock is 1500 ms behind the last issued TSID timestamp, more than the 1000 ms the generator may run ahead of it',
    );
    expect(onClockBackwards).toHaveBeenCalledWith(1_500);
  });

  it('issues only timestamps strictly after the window start and up to its end', () => {
    const generator = new TsidGenerator({ clock: scriptedClock([T0 + 10, T0 + 11, T0 + 20, T0 + 21]) });
    generator.assign({ nodeId: 7, after: T0 + 10, until: T0 + 20 });
    expect(() => generator.generate()).toThrow(/No TSID can be issued until 2025-01-01T00:00:00.010Z \(node ID 7\)/);
    expect(generator.codec.decode(generator.generate()).timestamp).toBe(T0 + 11);
    expect(generator.codec.decode(generator.generate()).timestamp).toBe(T0 + 20);
    expect(() => generator.generate()).toThrow(
      /covers timestamps up to 2025-01-01T00:00:00.020Z and has not been refreshed/,
    );
  });

  it('continues after the window is extended', () => {
    const generator = new TsidGenerator({ clock: scriptedClock([T0 + 1, T0 + 5, T0 + 5]) });
    generator.assign({ nodeId: 7, after: T0, until: T0 + 2 });
    generator.generate();
    expect(() => generator.generate()).toThrow(/has not been refreshed/);
    generator.extend(T0 + 9);
    expect(generator.codec.decode(generator.generate()).timestamp).toBe(T0 + 5);
  });

  it('stops at once when revoked, even within the same millisecond, and says why', () => {
    const generator = new TsidGenerator({ clock: () => T0 });
    generator.assign({ nodeId: 7, ...open });
    generator.generate();
    generator.revoke('the lease of node ID 7 was lost');
    expect(() => generator.generate()).toThrow('No TSID can be issued: the lease of node ID 7 was lost.');
    expect(generator.currentNodeId).toBe(-1);
  });

  it('refuses before any node ID is assigned', () => {
    let caught: unknown;
    try {
      new TsidGenerator().generate();
    } catch (error) {
      caught = error;
    }
    expect(isTsidUnavailableError(caught)).toBe(true);
    expect((caught as Error).message).toBe('No TSID can be issued: no node ID has been assigned yet.');
  });

  it('moves to a later millisecond after a new assignment, so the next ID never sorts lower', () => {
    const generator = new TsidGenerator({ clock: scriptedClock([T0, T0, T0 + 1]) });
    generator.assign({ nodeId: 9, ...open });
    const first = generator.generate();
    generator.assign({ nodeId: 2, ...open });
    const second = generator.generate();
    expect(second > first).toBe(true);
    expect(generator.codec.decode(second)).toEqual({ timestamp: T0 + 1, nodeId: 2, counter: 0 });
  });
});
