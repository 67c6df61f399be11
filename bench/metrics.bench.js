// Throughput of `GET /demo/ping` with this toolkit's metrics (or the whole reference service) against a bare Nest
// app with no interceptors, on Fastify and on Express: `node bench/metrics.bench.js [seconds-per-run] [rounds]`.
// Each candidate is a server process of its own (one core), loaded by autocannon from this process (the other
// core); runs alternate between candidates, round after round. Figures: median req/s over the rounds, and the
// median over rounds of each round's ratio to the bare app (robust to the machine's load drifting between rounds).
// `BENCH_SERVICE=1` adds the built reference service (`npm run build` first) with DEMO_ENDPOINTS=true.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const net = require('node:net');
const autocannon = require('autocannon');

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 5);
const root = path.resolve(__dirname, '..');
const serviceMain = path.join(root, 'dist/apps/enterprise-service/main.js');

if (process.argv[2] === '--serve') {
  const { startBenchApp } = require('./metrics-bench-app.ts');
  startBenchApp(process.argv[3], process.argv[4] === 'metrics').then((port) => process.stdout.write(`PORT ${port}\n`));
  return;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function startService(adapter) {
  const port = await freePort();
  const child = spawn(process.execPath, [serviceMain], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HTTP_ADAPTER: adapter,
      DEMO_ENDPOINTS: 'true',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      TSID_NODE_ID: '1',
      MONGODB_URI: 'mongodb://127.0.0.1:9/bench',
      REDIS_URL: 'redis://127.0.0.1:9',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/demo/ping`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`${adapter}/service exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${adapter}/service did not answer ${url} within 30 s`);
}

function startServer(adapter, variant) {
  if (variant === 'service') return startService(adapter);
  const child = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'register.js'), __filename, '--serve', adapter, variant],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk;
      const port = /PORT (\d+)/.exec(buffered)?.[1];
      if (port) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url: `http://127.0.0.1:${port}/demo/ping` });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${adapter}/${variant} server exited with ${code}: ${buffered}`)));
  });
}

async function load(url, duration) {
  const result = await autocannon({ url, connections: 32, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const variants = ['bare', 'metrics'];
  if (process.env.BENCH_SERVICE === '1') {
    if (!fs.existsSync(serviceMain)) throw new Error(`${serviceMain} is missing: run \`npm run build\` first.`);
    variants.push('service');
  }
  console.log(
    `metrics bench: GET /demo/ping, autocannon 32 connections, ${seconds} s per run, ${rounds} rounds, ${process.version}`,
  );
  for (const adapter of ['fastify', 'express']) {
    const servers = {};
    for (const variant of variants) servers[variant] = await startServer(adapter, variant);
    try {
      for (const variant of variants) await load(servers[variant].url, 1); // warm-up: JIT, connection pools
      const results = Object.fromEntries(variants.map((variant) => [variant, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) results[variant].push(await load(servers[variant].url, seconds));
      }
      for (const variant of variants) {
        const rps = median(results[variant]);
        const ratio = median(results[variant].map((value, round) => value / results.bare[round]));
        const runs = results[variant].map((value) => Math.round(value)).join(' ');
        console.log(
          `${adapter.padEnd(8)} ${variant.padEnd(8)} ${Math.round(rps).toString().padStart(7)} req/s  ratio ${ratio.toFixed(3)}  (runs: ${runs})`,
        );
      }
    } finally {
      for (const { child } of Object.values(servers)) child.kill('SIGKILL');
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
