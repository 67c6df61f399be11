// TSID generator against other ID generators, in one process, interleaved rounds: `node bench/tsid.bench.js [seconds]`.
// Every generator produces its own natural form (string where it has one); each round runs every candidate for a
// fixed slice of time and the figures are the median ids/s over the rounds, with the ratio to the fastest.
'use strict';
const { randomUUID } = require('node:crypto');
require('./register'); // TypeScript sources and @nestjs-reliability/* aliases, also when run on its own

// The generator itself (not exported: the public API is TsidService); its source, through the TypeScript hook.
const { TsidGenerator } = require('../libs/tsid/src/tsid.generator.ts');
const { getTsid } = require('tsid-ts');
const { Snowflake } = require('@sapphire/snowflake');
const { Snowflake: RustSnowflake } = require('nodejs-snowflake');
const FlakeId = require('flake-idgen');
const { monotonicFactory } = require('ulid');
const { v7 } = require('uuid');

// BENCH_SMOKE=1 (CI's smoke test): a fraction of a second, only to prove the bench still runs.
const seconds = Number(process.argv[2] ?? (process.env.BENCH_SMOKE === '1' ? 0.5 : 12));
const rounds = 6;
const sliceMs = Math.max(50, Math.floor((seconds * 1000) / rounds / 11));

// Node bits 10 (the default) caps a node at 4 096 IDs per millisecond, below what the generator can build; the
// wide layout (2 node bits, 1 M per ms) shows the generator's own speed. Both are reported.
const tsidDefault = new TsidGenerator();
tsidDefault.assign({ nodeId: 1, after: -Infinity, until: Infinity });
const tsidWide = new TsidGenerator({ nodeBits: 2 });
tsidWide.assign({ nodeId: 1, after: -Infinity, until: Infinity });
const sapphire = new Snowflake(Date.UTC(2020, 0, 1));
const rust = new RustSnowflake({ instance_id: 1 });
const flake = new FlakeId({ id: 1 });
const ulid = monotonicFactory();

// flake-idgen throws once its 4 096 IDs of a millisecond are used; wait for the next one as the others do.
function flakeNext() {
  try {
    return flake.next();
  } catch {
    const ms = Date.now();
    while (Date.now() === ms);
    return flake.next();
  }
}

const candidates = [
  ['nestjs-reliability tsid (2 node bits), string', () => tsidWide.generate()],
  ['nestjs-reliability tsid (10 node bits), string', () => tsidDefault.generate()],
  ['nestjs-reliability tsid (2 node bits), bigint', () => tsidWide.generateBigInt()],
  ['tsid-ts getTsid().toString()', () => getTsid().toString()],
  ['@sapphire/snowflake generate() (bigint)', () => sapphire.generate()],
  ['nodejs-snowflake getUniqueID() (bigint)', () => rust.getUniqueID()],
  ['flake-idgen next() (Buffer), waits out overflow', () => flakeNext()],
  ['ulid monotonicFactory()()', () => ulid()],
  ['uuid v7()', () => v7()],
  ['crypto.randomUUID()', () => randomUUID()],
];

let sink = 0;
function measure(fn) {
  let n = 0;
  const end = performance.now() + sliceMs;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      const id = fn();
      sink ^= typeof id === 'string' ? id.charCodeAt(12) : 1;
    }
    n += 1000;
  }
  return (n / sliceMs) * 1000;
}

for (const [, fn] of candidates) measure(fn); // warm-up
const results = candidates.map(() => []);
for (let r = 0; r < rounds; r++) {
  candidates.forEach(([, fn], i) => results[i].push(measure(fn)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = candidates.map(([name], i) => ({ name, idsPerSecond: median(results[i]) }));
const best = Math.max(...rows.map((r) => r.idsPerSecond));
console.log(
  `tsid bench: ${rounds} interleaved rounds of ${sliceMs} ms per candidate, Node ${process.version} (sink ${sink & 1})`,
);
for (const { name, idsPerSecond } of rows.sort((a, b) => b.idsPerSecond - a.idsPerSecond)) {
  const perSecond = (idsPerSecond / 1e6).toFixed(2).padStart(7);
  console.log(`${name.padEnd(50)} ${perSecond} M ids/s   ${(idsPerSecond / best).toFixed(2)} × fastest`);
}
