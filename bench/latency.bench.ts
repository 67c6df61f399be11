// Latency under load as the design's SLO states it: an open model (bench/open-model.ts, constant arrival rate,
// timed from the intended send, so queues show) at 100, 500 and 1000 req/s over a mix of the reference service's
// routes with live dependencies: `GET /ids`, `GET /directory/:key` (an upstream that adds 100 ms),
// `POST /organizations` and `GET /organizations/:id` on FerretDB. Per rate: p50/p95/p99/p99.9 and errors, against
// the SLO (p95 < 500 ms, p99 < 1 s, errors < 0.1 %); then higher rates until the service's own p99 (the directory
// calls less the upstream's 100 ms) reaches 100 ms, to find the highest rate where it stays under.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { msUntil, smoke, spawnService, startLiveStack } from './live-stack';
import { openModel, type LatencySample, summarize, type Target } from './open-model';

const RATES = smoke ? [50] : [100, 500, 1000];
const SEARCH = smoke ? [] : [1500, 2000, 2500, 3000, 4000];
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? (smoke ? 1 : 10));
const UPSTREAM_DELAY_MS = 100;

async function slowUpstream(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [join(__dirname, 'slow-upstream.js')], {
    env: { ...process.env, DELAY_MS: String(UPSTREAM_DELAY_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

const ms = (value: number) => value.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const stack = await startLiveStack();
  const upstream = await slowUpstream();
  // Every module on, at info (one access-log line per request, to /dev/null); a 3 s lease so IDs come within 4 s.
  const service = await spawnService(stack, { UPSTREAM_URL: upstream.url, TSID_LEASE_TTL_MS: '3000' });
  try {
    await msUntil(`${service.url}/health/readiness`, performance.now(), service.child);
    const created: string[] = [];
    for (let i = 0; i < 50; i++) {
      const response = await fetch(`${service.url}/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `seed-${i}` }),
      });
      created.push(((await response.json()) as { id: string }).id);
    }
    const mix = (i: number): Target & { label: string } => {
      switch (i % 4) {
        case 0:
          return { label: 'ids', method: 'GET', url: `${service.url}/ids` };
        case 1:
          return { label: 'directory', method: 'GET', url: `${service.url}/directory/key-${i % 100}` };
        case 2:
          return {
            label: 'org-create',
            method: 'POST',
            url: `${service.url}/organizations`,
            body: JSON.stringify({ name: `org-${i}` }),
          };
        default:
          return {
            label: 'org-read',
            method: 'GET',
            url: `${service.url}/organizations/${created[i % created.length]}`,
          };
      }
    };
    // The service's own latency: the directory calls less the upstream's fixed delay.
    const own = (samples: LatencySample[]) =>
      samples.map((sample) =>
        sample.label === 'directory' ? { ...sample, latencyMs: sample.latencyMs - UPSTREAM_DELAY_MS } : sample,
      );
    await openModel(100, smoke ? 200 : 2_000, mix); // warm-up

    console.log(
      `latency bench: open model, ${SECONDS} s per rate, mix ids/directory(+${UPSTREAM_DELAY_MS} ms upstream)/org-create/org-read, ${process.version}`,
    );
    console.log(
      '   rate    sent  errors      p50      p95      p99    p99.9  (ms)   SLO p95<500 p99<1000 err<0.1%   own p99',
    );
    let highest = 0;
    for (const rate of [...RATES, ...SEARCH]) {
      const samples = await openModel(rate, SECONDS * 1000, mix);
      const all = summarize(samples);
      const mine = summarize(own(samples));
      const slo = all.p95 < 500 && all.p99 < 1000 && all.errors / all.count < 0.001;
      console.log(
        `${String(rate).padStart(7)} ${String(all.count).padStart(7)} ${String(all.errors).padStart(7)} ${ms(all.p50)}  ${ms(all.p95)}  ${ms(all.p99)}  ${ms(all.p999)}        ${slo ? 'met    ' : 'MISSED '}                ${ms(mine.p99)}`,
      );
      for (const label of ['ids', 'directory', 'org-create', 'org-read']) {
        const route = summarize(samples.filter((sample) => sample.label === label));
        console.log(
          `        ${label.padEnd(10)} p50 ${ms(route.p50)} p95 ${ms(route.p95)} p99 ${ms(route.p99)} p99.9 ${ms(route.p999)} errors ${route.errors}`,
        );
      }
      if (mine.p99 < 100 && all.errors === 0) highest = rate;
      else if (SEARCH.includes(rate) || rate === RATES.at(-1)) break;
    }
    console.log(
      `highest rate tried with the service's own p99 < 100 ms and no errors: ${highest} req/s (service on one core; generator on the other)`,
    );
  } finally {
    await service.stop();
    upstream.stop();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
