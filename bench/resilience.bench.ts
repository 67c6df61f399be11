// Cost of the resilience decorators on the success path, against a direct call measured in the same run:
// `node -r ./bench/register.js bench/resilience.bench.ts`. Candidates are interleaved, round after round; each
// runs for a fixed time slice and reports ns/call; figures are medians over rounds, ratios are per round then
// median. Then a heap soak at full rate: `RESILIENCE_SOAK_SECONDS` (default 15) of the full stack and of the
// breaker, and a shorter one of raw opossum with default options for contrast (`RESILIENCE_OPOSSUM_SOAK_SECONDS`,
// default 5). Targets (issue 4): @Retry ≤ 0.1 µs over direct, @CircuitBreaker ≤ 1 µs, heap growth < 20 MB over 60 s.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpossumBreaker from 'opossum';
import { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel';
import { MetricsModule } from '@nestjs-reliability/metrics';
import {
  Bulkhead,
  CallTimeout,
  CircuitBreaker,
  Fallback,
  ResilienceModule,
  Retry,
} from '@nestjs-reliability/resilience';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// BENCH_SMOKE=1 (CI's smoke test): one short round, only to prove the bench still runs.
const smoke = process.env.BENCH_SMOKE === '1';
const ROUNDS = Number(process.env.RESILIENCE_ROUNDS ?? (smoke ? 1 : 9));
const SLICE_MS = Number(process.env.RESILIENCE_SLICE_MS ?? (smoke ? 20 : 150));
const SOAK_SECONDS = Number(process.env.RESILIENCE_SOAK_SECONDS ?? (smoke ? 1 : 15));
const OPOSSUM_SOAK_SECONDS = Number(process.env.RESILIENCE_OPOSSUM_SOAK_SECONDS ?? (smoke ? 1 : 5));

const work = (x: number) => Promise.resolve(x + 1);

@Injectable()
class Target {
  direct(x: number): Promise<number> {
    return work(x);
  }

  @Retry()
  retried(x: number): Promise<number> {
    return work(x);
  }

  @CircuitBreaker({ name: 'bench' })
  guarded(x: number): Promise<number> {
    return work(x);
  }

  @Fallback(() => 0)
  @Retry()
  @CircuitBreaker({ name: 'bench-full' })
  @CallTimeout(1_000)
  @Bulkhead({ maxConcurrent: 100, maxQueue: 100 })
  full(x: number): Promise<number> {
    return work(x);
  }
}

@Module({ imports: [MetricsModule.forRoot({}), ResilienceModule.forRoot({})], providers: [Target] })
class BenchModule {}

type Candidate = [name: string, call: (i: number) => Promise<unknown>];

/** ns per call of `call`, awaited one after another for about SLICE_MS. */
async function measure(call: (i: number) => Promise<unknown>): Promise<number> {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(SLICE_MS * 1e6);
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1_000; i++) await call(i);
    calls += 1_000;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / calls;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function soak(name: string, seconds: number, call: (i: number) => Promise<unknown>) {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let calls = 0;
  const started = Date.now();
  const end = started + seconds * 1_000;
  const batches: Array<{ endedMs: number; ns: number }> = [];
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) await call(i);
    batches.push({ endedMs: Date.now() - started, ns: Number(process.hrtime.bigint() - t) / 10_000 });
    calls += 10_000;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  // The batches that ended in the first and in the last second; at least the first and the last batch, however
  // short the soak (a smoke run) or slow a batch (a loaded machine).
  const inFirst = batches.filter((batch) => batch.endedMs <= 1_000);
  const firstSecond = (inFirst.length > 0 ? inFirst : batches.slice(0, 1)).map((batch) => batch.ns);
  const lastSecond = batches.filter((batch) => batch.endedMs >= (seconds - 1) * 1_000).map((batch) => batch.ns);
  gc();
  const after = process.memoryUsage().heapUsed;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `soak ${name}: ${seconds} s, ${(calls / 1e6).toFixed(1)} M calls, heap after GC ${mb(before)} → ${mb(after)} MB ` +
      `(growth ${mb(after - before)} MB), peak ${mb(peak)} MB, ns/call first s ${median(firstSecond).toFixed(0)}, last s ${median(lastSecond).toFixed(0)}`,
  );
}

async function main() {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const target = app.get(Target);
  const opossum = new OpossumBreaker(work);
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  const { default: pRetry } = (await import('p-retry')) as {
    default: (fn: () => Promise<number>, o?: object) => Promise<number>;
  };

  const candidates: Candidate[] = [
    ['direct call', (i) => target.direct(i)],
    ['@Retry', (i) => target.retried(i)],
    ['@CircuitBreaker', (i) => target.guarded(i)],
    ['full stack (5 decorators)', (i) => target.full(i)],
    ['opossum, default options', (i) => opossum.fire(i)],
    ['cockatiel breaker', (i) => cockatiel.execute(() => work(i))],
    ['p-retry', (i) => pRetry(() => work(i), { retries: 2 })],
  ];

  for (const [, call] of candidates) await measure(call); // warm-up
  const ns = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  const ratio = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  const overhead = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const direct = await measure(candidates[0][1]);
    ns.get('direct call')!.push(direct);
    for (const [name, call] of candidates.slice(1)) {
      const value = await measure(call);
      ns.get(name)!.push(value);
      ratio.get(name)!.push(value / direct);
      overhead.get(name)!.push(value - direct);
    }
  }
  console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${SLICE_MS} ms per candidate (medians)`);
  console.log('candidate'.padEnd(28) + 'ns/call'.padStart(10) + 'over direct'.padStart(14) + 'ratio'.padStart(9));
  for (const [name] of candidates) {
    const row = name.padEnd(28) + median(ns.get(name)!).toFixed(0).padStart(10);
    console.log(
      name === 'direct call'
        ? row
        : row +
            `${median(overhead.get(name)!).toFixed(0)} ns`.padStart(14) +
            `${median(ratio.get(name)!).toFixed(2)}x`.padStart(9),
    );
  }
  opossum.shutdown();

  await soak('full stack', SOAK_SECONDS, (i) => target.full(i));
  await soak('@CircuitBreaker', SOAK_SECONDS, (i) => target.guarded(i));
  const fresh = new OpossumBreaker(work);
  await soak('opossum, default options', OPOSSUM_SOAK_SECONDS, (i) => fresh.fire(i));
  fresh.shutdown();
  await app.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
