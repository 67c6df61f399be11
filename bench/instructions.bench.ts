// User-space instructions per request of `GET /demo/ping`, counted by valgrind's callgrind, for the candidates of
// metrics.bench.js (ping-candidates.ts): bare Nest, the metrics alone, the reference service at warn and info and the
// typical stack at both levels, on Fastify and Express. On these machines req/s and CPU time swing by a third between
// rounds of the same candidate; instruction counts repeat within about 7 %, so they show what a change costs a
// request, and where. The kernel's share (the socket's reads and writes, the same for every candidate) is not
// counted, so these ratios sit below the req/s ones.
// Each server runs under callgrind with counting off (start-up is ten times slower) and takes a warm-up (JIT); then
// `BENCH_REQUESTS` requests (8 connections) are counted in five slices, of which the median is reported, less the
// idle rate (timers, Redis pings, job polling: not per request). `BENCH_TOP=n` also prints, for each candidate, the n
// functions whose own instructions per request grew most over bare Nest's, JavaScript named from V8's perf map
// (--perf-basic-prof). `BENCH_ADAPTERS` and `BENCH_VARIANTS` (comma-separated) choose the candidates; valgrind must be
// on the PATH (the bench says so and skips otherwise).
import autocannon from 'autocannon';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LiveStack, smoke, startLiveStack } from './live-stack';
import { needsLiveStack, startCandidate } from './ping-candidates';

const requests = smoke ? 300 : Number(process.env.BENCH_REQUESTS ?? 5_000);
const warmUp = smoke ? 1_000 : 40_000;
const SLICES = 5;
const top = Number(process.env.BENCH_TOP ?? (smoke ? 3 : 0));
const adapters = (process.env.BENCH_ADAPTERS ?? (smoke ? 'fastify' : 'fastify,express')).split(',');
const variants = [
  'bare',
  ...(process.env.BENCH_VARIANTS ?? (smoke ? 'metrics' : 'metrics,service:warn,service:info,typical:warn,typical:info'))
    .split(',')
    .filter((variant) => variant && variant !== 'bare'),
];

interface Count {
  perRequest: number;
  /** Own instructions per request by function (only with BENCH_TOP). */
  byFunction: Map<string, number>;
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).error) {
    console.log('instructions bench: skipped, valgrind is not on the PATH (Debian: apt-get install valgrind)');
    return;
  }
  console.log(
    `instructions bench: GET /demo/ping, user-space instructions per request (callgrind), ${requests} requests after a ${warmUp}-request warm-up, ${process.version}`,
  );
  const stack = needsLiveStack(variants) ? await startLiveStack() : undefined;
  try {
    for (const adapter of adapters) {
      const counts = new Map<string, Count>();
      for (const variant of variants) counts.set(variant, await count(adapter, variant, stack));
      report(adapter, counts);
    }
  } finally {
    await stack?.stop();
  }
}

async function count(adapter: string, variant: string, stack: LiveStack | undefined): Promise<Count> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callgrind-'));
  try {
    return await countIn(dir, adapter, variant, stack);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countIn(dir: string, adapter: string, variant: string, stack: LiveStack | undefined): Promise<Count> {
  const { child, url } = await startCandidate(adapter, variant, stack, {
    wrapper: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${dir}/dump.%p`],
    // A young generation of fixed size: V8 sizes it by timing heuristics that valgrind's slowness skews from run to
    // run, and the scavenges' fixed cost then moved a count by up to 7k instructions.
    nodeArgs: ['--min-semi-space-size=16', '--max-semi-space-size=16', ...(top > 0 ? ['--perf-basic-prof'] : [])],
    readyWithinMs: 300_000,
  });
  const pid = String(child.pid);
  const control = (...args: string[]): void =>
    void execFileSync('callgrind_control', [...args, pid], { stdio: 'pipe' });
  try {
    await load(url, warmUp);
    // Under valgrind the optimising compiler's thread lags far behind: let it finish what the warm-up queued.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    control('--instr=on');
    const slices: { answered: number; ms: number }[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      control('--zero');
      const started = Date.now();
      const answered = await load(url, Math.ceil(requests / SLICES));
      slices.push({ answered, ms: Date.now() - started });
      control(`--dump=slice-${slice}`);
    }
    const idleMs = slices.reduce((sum, { ms }) => sum + ms, 0) / SLICES;
    control('--zero');
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    control('--dump=idle');
    const dumps = readdirSync(dir).map((file) => readFileSync(path.join(dir, file), 'utf8'));
    const dump = (trigger: string): string => {
      const found = dumps.find((text) => text.includes(`\ndesc: Trigger: dump ${trigger}\n`));
      if (!found) throw new Error(`${adapter}/${variant}: callgrind wrote no "${trigger}" dump`);
      return found;
    };
    const idlePerMs = summary(dump('idle')) / idleMs;
    const counted = slices.map(({ answered, ms }, slice) => ({
      slice,
      answered,
      perRequest: (summary(dump(`slice-${slice}`)) - idlePerMs * ms) / answered,
    }));
    // The median slice: a slice that caught a full GC or a big function being optimised says little of the rest.
    const median = [...counted].sort((a, b) => a.perRequest - b.perRequest)[Math.floor(SLICES / 2)];
    const byFunction = new Map<string, number>();
    if (top > 0) {
      for (const [name, own] of ownCosts(dump(`slice-${median.slice}`), `/tmp/perf-${pid}.map`)) {
        byFunction.set(name, own / median.answered);
      }
    }
    return { perRequest: median.perRequest, byFunction };
  } finally {
    child.kill('SIGKILL');
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
}

async function load(url: string, amount: number): Promise<number> {
  const result = await autocannon({ url, connections: 8, amount });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
}

function summary(dump: string): number {
  const match = /\nsummary: (\d+)\n/.exec(dump);
  if (!match) throw new Error('callgrind dump without a summary line');
  return Number(match[1]);
}

function report(adapter: string, counts: Map<string, Count>): void {
  const bare = counts.get('bare')!;
  const width = Math.max(...variants.map((variant) => variant.length));
  for (const [variant, { perRequest }] of counts) {
    const extra = perRequest - bare.perRequest;
    console.log(
      `${adapter.padEnd(8)} ${variant.padEnd(width)} ${(perRequest / 1000).toFixed(1).padStart(6)}k instructions/request  ratio ${(bare.perRequest / perRequest).toFixed(3)}  (${extra >= 0 ? '+' : ''}${(extra / 1000).toFixed(1)}k)`,
    );
  }
  if (top === 0) return;
  for (const [variant, { byFunction }] of counts) {
    if (variant === 'bare') continue;
    const growth = [...new Set([...byFunction.keys(), ...bare.byFunction.keys()])]
      .map((name) => ({ name, delta: (byFunction.get(name) ?? 0) - (bare.byFunction.get(name) ?? 0) }))
      .sort((a, b) => b.delta - a.delta)
      .slice(0, top);
    console.log(`${adapter.padEnd(8)} ${variant}: grew most over bare Nest (own instructions/request)`);
    for (const { name, delta } of growth) console.log(`  +${Math.round(delta).toString().padStart(5)}  ${name}`);
  }
}

/**
 * Own (exclusive) instructions by function in a callgrind dump. Callgrind names JIT code by its address, which
 * V8's perf map (`perfMapFile`) resolves; a JavaScript function is named without its file, so a bundled copy and the
 * one in node_modules add up under one name.
 */
function ownCosts(dump: string, perfMapFile: string): Map<string, number> {
  const names = new Map<string, string>();
  const byId = new Map<string, number>();
  let current: string | undefined;
  let inclusiveCostNext = false;
  for (const line of dump.split('\n')) {
    if (inclusiveCostNext) {
      // The line after `calls=` is the called function's inclusive cost, not this function's own.
      inclusiveCostNext = false;
      continue;
    }
    const named = /^(c?fn)=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      if (named[3] !== undefined) names.set(named[2], named[3]);
      if (named[1] === 'fn') current = named[2];
    } else if (line.startsWith('calls=')) {
      inclusiveCostNext = true;
    } else if (current !== undefined) {
      const cost = /^(?:[+-]?\d+|\*) (\d+)$/.exec(line);
      if (cost) byId.set(current, (byId.get(current) ?? 0) + Number(cost[1]));
    }
  }
  // `'2` marks a recursion level.
  const callgrindNames = new Map([...byId.keys()].map((id) => [id, (names.get(id) ?? id).replace(/'\d+$/, '')]));
  const isAddress = (name: string): boolean => /^0x[0-9a-f]+$/.test(name);
  const jitNames = namesFromPerfMap([...callgrindNames.values()].filter(isAddress), perfMapFile);
  const byName = new Map<string, number>();
  for (const [id, own] of byId) {
    const callgrindName = callgrindNames.get(id)!;
    const name = isAddress(callgrindName)
      ? (jitNames.get(callgrindName) ?? 'JIT code not in the perf map')
      : nativeName(callgrindName);
    byName.set(name, (byName.get(name) ?? 0) + own);
  }
  return byName;
}

/**
 * The function at each address (`0x…`), from a perf map's `start size name` lines. Code that the GC freed leaves
 * its entry behind while newer code takes its address, so the entry written last wins.
 */
function namesFromPerfMap(addresses: readonly string[], perfMapFile: string): Map<string, string> {
  const sorted = [...new Set(addresses)].map((address) => ({ address, at: BigInt(address) }));
  sorted.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const found = new Map<string, string>();
  for (const line of readFileSync(perfMapFile, 'utf8').split('\n')) {
    const entry = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (!entry) continue;
    const start = BigInt(`0x${entry[1]}`);
    const end = start + BigInt(`0x${entry[2]}`);
    for (let i = firstAtOrAbove(sorted, start); i < sorted.length && sorted[i].at < end; i++) {
      found.set(sorted[i].address, jsName(entry[3]));
    }
  }
  return found;
}

function firstAtOrAbove(sorted: readonly { at: bigint }[], at: bigint): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle].at < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** `void v8::internal::String::WriteToFlat2<unsigned char>(…) [/path/node]` → `v8::internal::String::WriteToFlat2`. */
function nativeName(name: string): string {
  let bare = name.replace(/ \[[^\]]*\]$/, '').replaceAll('(anonymous namespace)', '{anonymous}');
  while (/<[^<>]*>/.test(bare)) bare = bare.replace(/<[^<>]*>/g, '');
  return bare.split('(')[0].split(' ').pop() || name;
}

/** `JS:*'find /path/to/file.js:12:3` → `find`; an anonymous function keeps its file's name and line. */
function jsName(perfName: string): string {
  const js = /^JS:[*~^+]?'?(\S*) (.*):(\d+):\d+$/.exec(perfName);
  if (!js) return perfName;
  return js[1] ? `${js[1]} (JS)` : `anonymous (${path.basename(js[2])}:${js[3]})`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
