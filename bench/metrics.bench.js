// Throughput of `GET /demo/ping` with this toolkit's metrics (or the whole reference service) against a bare Nest
// app with no interceptors, on Fastify and on Express: `node bench/metrics.bench.js [seconds-per-run] [rounds]`.
// Each candidate is a server process of its own (one core; ping-candidates.ts), loaded by autocannon from this
// process (the other core); runs alternate between candidates, round after round. Figures: median req/s over the
// rounds, and the median over rounds of each round's ratio to the bare app (robust to the machine's load drifting
// between rounds); and the server's CPU time per request, the extra µs over the bare app and the ratio of CPU times
// (what the throughput ratio would be on an idle machine where the server is CPU-bound).
// The built reference service (`npm run build` first; `BENCH_SERVICE=0` leaves it out) runs with
// DEMO_ENDPOINTS=true at LOG_LEVEL=info (access log on) and LOG_LEVEL=warn (off), healthy: on a live redis-server
// and FerretDB (or MONGODB_URI), as in production (with them unreachable it would spend ~3 % of its core
// reconnecting and re-running readiness), next to the typical stack
// (typical-stack-app.ts) at the same levels; the bench prints the service's lead over it. `BENCH_VARIANTS=helmet,logging,helmet+logging` replaces
// the default candidates with the reference service's components alone or combined (see metrics-bench-app.ts), or
// with `service:<LOG_LEVEL>[@<another build's main.js>]` (e.g. to compare a build before and after a change).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const autocannon = require('autocannon');

// BENCH_SMOKE=1 (the CI smoke test): one short round, to prove the bench still runs and prints its figures.
const smoke = process.env.BENCH_SMOKE === '1';
const seconds = Number(process.argv[2] ?? (smoke ? 1 : 5));
const rounds = Number(process.argv[3] ?? (smoke ? 1 : 5));
const { SERVICE_MAIN, needsLiveStack, startCandidate } = require('./ping-candidates.ts');

// CPU time (user + system) a server process has used, in µs, from /proc (Linux; NaN elsewhere).
function cpuMicros(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
  } catch {
    return NaN;
  }
}
const ticksPerSecond = 100; // USER_HZ on every Linux the bench runs on

// Throughput, and the server's CPU time per request: the latter barely moves with the machine's load, so it
// gives each component's own cost in µs per request.
async function load({ url, child }, duration) {
  const cpuBefore = cpuMicros(child.pid);
  const result = await autocannon({ url, connections: 32, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpu: (cpuMicros(child.pid) - cpuBefore) / result.requests.total };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const variants = ['bare', ...(process.env.BENCH_VARIANTS ?? 'metrics').split(',').filter(Boolean)];
  const withService =
    process.env.BENCH_SERVICE === '1' || (process.env.BENCH_SERVICE !== '0' && !process.env.BENCH_VARIANTS);
  if (withService) {
    if (!fs.existsSync(SERVICE_MAIN)) throw new Error(`${SERVICE_MAIN} is missing: run \`npm run build\` first.`);
    variants.push('service:info', 'service:warn', 'typical:info', 'typical:warn');
  }
  const adapters = (process.env.BENCH_ADAPTERS ?? 'fastify,express').split(',');
  console.log(
    `metrics bench: GET /demo/ping, autocannon 32 connections, ${seconds} s per run, ${rounds} rounds, ${process.version}, ${os.availableParallelism()} cores`,
  );
  const stack = needsLiveStack(variants) ? await require('./live-stack.ts').startLiveStack() : undefined;
  try {
    for (const adapter of adapters) await benchAdapter(adapter, variants, stack);
  } finally {
    await stack?.stop();
  }
}

async function benchAdapter(adapter, variants, stack) {
  const servers = {};
  for (const variant of variants) servers[variant] = await startCandidate(adapter, variant, stack);
  try {
    for (const variant of variants) await load(servers[variant], smoke ? 0.2 : 1); // warm-up: JIT, connection pools
    const results = Object.fromEntries(variants.map((variant) => [variant, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) results[variant].push(await load(servers[variant], seconds));
    }
    const width = Math.max(...variants.map((variant) => variant.length));
    for (const variant of variants) {
      const runs = results[variant];
      const rps = median(runs.map((run) => run.rps));
      const ratio = median(runs.map((run, round) => run.rps / results.bare[round].rps));
      const cpu = median(runs.map((run) => run.cpu));
      const extra = median(runs.map((run, round) => run.cpu - results.bare[round].cpu));
      const cpuRatio = median(runs.map((run, round) => results.bare[round].cpu / run.cpu));
      console.log(
        `${adapter.padEnd(8)} ${variant.padEnd(width)} ${Math.round(rps).toString().padStart(6)} req/s  ratio ${ratio.toFixed(3)}` +
          `  | CPU ${cpu.toFixed(1).padStart(5)} µs/req, +${extra.toFixed(1).padStart(5)} µs, ratio ${cpuRatio.toFixed(3)}` +
          `  (req/s: ${runs.map((run) => Math.round(run.rps)).join(' ')})`,
      );
    }
    // The lead over the typical stack at the same log level: median over rounds of each round's ratio.
    for (const level of ['info', 'warn']) {
      const ours = results[`service:${level}`];
      const theirs = results[`typical:${level}`];
      if (!ours || !theirs) continue;
      const lead = median(ours.map((run, round) => run.rps / theirs[round].rps));
      const cpuLead = median(ours.map((run, round) => theirs[round].cpu / run.cpu));
      // No app on this route can lead by more than bare Nest does: on a machine whose kernel makes every request
      // expensive, that ceiling can sit below the 3× target whatever the service does.
      const ceiling = median(results.bare.map((run, round) => run.rps / theirs[round].rps));
      console.log(
        `${adapter.padEnd(8)} lead of the service over the typical stack at ${level}: ${lead.toFixed(2)}× req/s, ${cpuLead.toFixed(2)}× by CPU per request` +
          ` (bare Nest's lead, the ceiling: ${ceiling.toFixed(2)}×)`,
      );
    }
  } finally {
    for (const { child } of Object.values(servers)) child.kill('SIGKILL');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
