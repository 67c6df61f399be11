// Time from SIGTERM to process exit with no request in flight, minus the drain delay: what the shutdown sequence
// itself costs (listener close, Nest lifecycle hooks, exit). `node bench/shutdown.bench.js [rounds] [drainMs]`.
// Candidates alternate round after round:
// - baseline: a bare node:http server with Node's default SIGTERM handling (the process just dies);
// - nest+shutdown: a minimal Nest app (Fastify) with ShutdownModule (test/shutdown/fixtures/shutdown-app.ts);
// - service: the built reference service (`npm run build` first; skipped when dist/ is missing), Fastify, with
//   MongoDB and Redis unreachable, so app.close() includes closing their (reconnecting) clients.
// Each process gets SETTLE_MS after it first answers, so start-up work (a first MongoDB connection attempt that
// app.close() would wait for) is not counted as shutdown time.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { createServer } = require('node:net');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

// BENCH_SMOKE=1 (CI's smoke test): one round, only to prove the bench still runs.
const rounds = Number(process.argv[2] ?? (process.env.BENCH_SMOKE === '1' ? 1 : 7));
const drainMs = Number(process.argv[3] ?? 200);
const root = path.resolve(__dirname, '..');
const SETTLE_MS = 2_000;
const serviceMain = path.join(root, 'dist/apps/enterprise-service/main.js');

const BARE = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');`;

const candidates = [
  { name: 'baseline (bare node, default SIGTERM)', drain: 0, args: ['-e', BARE], readyPath: '/', env: {} },
  {
    name: 'nest+shutdown (minimal app)',
    drain: drainMs,
    args: ['-r', path.join(__dirname, 'register.js'), path.join(root, 'test/shutdown/fixtures/shutdown-app.ts')],
    readyPath: '/ready',
    env: { DRAIN_DELAY_MS: String(drainMs), HTTP_ADAPTER: 'fastify' },
  },
];
if (existsSync(serviceMain)) {
  candidates.push({
    name: 'reference service',
    drain: drainMs,
    args: [serviceMain],
    readyPath: '/health/liveness',
    env: {
      SHUTDOWN_DRAIN_DELAY_MS: String(drainMs),
      HTTP_ADAPTER: 'fastify',
      TSID_NODE_ID: '1',
      LOG_LEVEL: 'warn',
      MONGODB_URI: 'mongodb://127.0.0.1:9/bench?serverSelectionTimeoutMS=500',
      REDIS_URL: 'redis://127.0.0.1:9',
    },
  });
} else {
  console.log(`(${serviceMain} missing: run \`npm run build\` to include the reference service)`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Spawns the candidate, waits until it serves, sends SIGTERM, returns ms until the exit event minus the drain. */
async function measure(candidate) {
  const port = await freePort();
  const child = spawn(process.execPath, candidate.args, {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', NO_COLOR: '1', ...candidate.env, PORT: String(port) },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await waitUntilServing(`http://127.0.0.1:${port}${candidate.readyPath}`, child);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  const result = await exited;
  const took = performance.now() - signalledAt - candidate.drain;
  if (candidate.drain > 0 && result.code !== 0)
    throw new Error(`${candidate.name} exited with ${JSON.stringify(result)}`);
  return took;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main() {
  console.log(`SIGTERM → exit, minus the drain delay (${drainMs} ms), ${rounds} rounds, no request in flight`);
  const samples = candidates.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, candidate] of candidates.entries()) samples[index].push(await measure(candidate));
  }
  const baseline = median(samples[0]);
  for (const [index, candidate] of candidates.entries()) {
    const values = samples[index];
    console.log(
      `${candidate.name.padEnd(40)} median ${median(values).toFixed(1).padStart(7)} ms` +
        `  (min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)})` +
        (index === 0 ? '' : `  +${(median(values) - baseline).toFixed(1)} ms over baseline`),
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
