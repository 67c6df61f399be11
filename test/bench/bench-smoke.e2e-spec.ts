import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Every benchmark, run as `npm run bench` runs it but with BENCH_SMOKE=1 (one tiny round each), so none can rot
 * unnoticed: it must exit 0 and print its figures. Nothing here looks at a figure's value: this is not a timed test.
 */
const FIGURES: Record<string, RegExp[]> = {
  health: [/readiness/],
  instructions: [
    /^fastify +bare +[\d.]+k instructions\/request +ratio 1\.000/m,
    /^fastify +metrics +[\d.]+k instructions\/request +ratio \d\.\d{3}/m,
    /^fastify +metrics: grew most over bare Nest/m,
  ],
  latency: [
    /^ +\d+ +\d+ +0 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +(met|MISSED)/m,
    /directory +p50 +[\d.]+ p95/,
    /highest rate tried with the service's own p99 < 100 ms and no errors: \d+ req\/s/,
  ],
  metrics: [
    /^fastify +service:warn +\d+ req\/s +ratio \d\.\d{3}/m,
    /^express +service:info +\d+ req\/s +ratio \d\.\d{3}/m,
    /^fastify +lead of the service over the typical stack at info: [\d.]+×/m,
    /^express +lead of the service over the typical stack at warn: [\d.]+×/m,
  ],
  resilience: [/ns\/call/],
  shutdown: [/SIGTERM → exit/],
  soak: [/soak growth after warm-up: heap -?[\d.]+ MB \(-?[\d.]+ of the 5 MB bound\), RSS -?[\d.]+ MB/],
  startup: [
    /time to the first TSID on an empty Redis with TSID_LEASE_TTL_MS=3000: [\d.]+ s/,
    /time to the first TSID on an empty Redis with TSID_LEASE_TTL_MS=2000: [\d.]+ s/,
    /cold start, spawn to readiness 200 with live Redis and FerretDB: first start \(compile cache empty\) \d+ ms.*restarts: median \d+ ms.*first start from a cache filled at image build: median \d+ ms/,
  ],
  tsid: [/tsid bench/],
};

function runBench(name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '../../bench/run.js'), name], {
      env: { ...process.env, BENCH_SMOKE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('benchmarks (smoke: one tiny round each)', () => {
  it.each(Object.keys(FIGURES))(
    '%s runs and prints its figures',
    async (name) => {
      const { code, output } = await runBench(name);
      expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
      for (const figure of FIGURES[name]) expect(output).toMatch(figure);
    },
    240_000,
  );
});
