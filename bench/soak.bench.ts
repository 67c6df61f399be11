// Memory soak: the reference service with every module on (live Redis and FerretDB, a 100 ms directory upstream,
// LOG_LEVEL=info) under full-rate load from autocannon (32 connections cycling through /ids, /organizations reads
// and creates, /directory/:key, /demo/ping) for BENCH_SOAK_SECONDS (default 300: the 5-minute soak) after a
// warm-up. Every 5 s it reads the service's heap used and RSS from its own /metrics; growth after warm-up: heap by
// the median of its troughs (second half against first), RSS by the median of the last fifth against the first.
// Target: both < 5 MB. Without a forced GC the heap figure is only good to a few MB (troughs spread ~±20 MB).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { median, msUntil, smoke, spawnService, startLiveStack } from './live-stack';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? (smoke ? 2 : 300));
const WARM_UP_SECONDS = smoke ? 1 : 30;
const SAMPLE_MS = smoke ? 250 : 5_000;
const MB = 1024 * 1024;

async function memoryOf(url: string): Promise<{ heap: number; rss: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]);
  return { heap: read('nodejs_heap_size_used_bytes'), rss: read('process_resident_memory_bytes') };
}

async function main(): Promise<void> {
  const stack = await startLiveStack();
  const upstream = spawn(process.execPath, [join(__dirname, 'slow-upstream.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const upstreamPort = await new Promise<string>((resolve) =>
    upstream.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim())),
  );
  const service = await spawnService(stack, {
    UPSTREAM_URL: `http://127.0.0.1:${upstreamPort}`,
    TSID_LEASE_TTL_MS: '3000',
    DEMO_ENDPOINTS: 'true',
  });
  try {
    await msUntil(`${service.url}/health/readiness`, performance.now(), service.child);
    const seed = await fetch(`${service.url}/organizations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'soak' }),
    });
    const { id } = (await seed.json()) as { id: string };
    const load = (seconds: number) =>
      autocannon({
        url: service.url,
        connections: 32,
        duration: seconds,
        requests: [
          { method: 'GET', path: '/ids' },
          { method: 'GET', path: `/organizations/${id}` },
          { method: 'GET', path: '/demo/ping' },
          { method: 'GET', path: '/directory/soak-key' },
          { method: 'GET', path: '/ids' },
          {
            method: 'POST',
            path: '/organizations',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'soak-org' }),
          },
        ],
      });
    await load(WARM_UP_SECONDS);
    const samples: { heap: number; rss: number }[] = [];
    const sampler = setInterval(() => void memoryOf(service.url).then((sample) => samples.push(sample)), SAMPLE_MS);
    const result = await load(SECONDS);
    clearInterval(sampler);
    const window = Math.max(1, Math.floor(samples.length / 5));
    const first = samples.slice(0, window);
    const last = samples.slice(-window);
    // Heap used is a sawtooth (old space fills to ~200 MB between major GCs): compare its troughs, the samples
    // below both neighbours, first half against second half, by their medians.
    const troughs = (from: number, to: number) =>
      samples
        .map((sample, i) => ({ heap: sample.heap, i }))
        .filter(({ i }) => i > 0 && i < samples.length - 1 && i >= from && i < to)
        .filter(({ heap, i }) => heap < samples[i - 1].heap && heap <= samples[i + 1].heap)
        .map(({ heap }) => heap);
    const half = Math.floor(samples.length / 2);
    const [early, late] = [troughs(0, half), troughs(half, samples.length)];
    const heapGrowth = early.length && late.length ? (median(late) - median(early)) / MB : NaN;
    const rssGrowth = (median(last.map((s) => s.rss)) - median(first.map((s) => s.rss))) / MB;
    const errors = result.errors + result.non2xx;
    const series = (pick: (sample: { heap: number; rss: number }) => number) =>
      samples.map((sample) => (pick(sample) / MB).toFixed(0)).join(' ');
    console.log(`soak samples every ${SAMPLE_MS / 1000} s, heap used MB: ${series((s) => s.heap)}`);
    console.log(`soak samples every ${SAMPLE_MS / 1000} s, RSS MB: ${series((s) => s.rss)}`);
    console.log(
      `soak: ${SECONDS} s at full rate after ${WARM_UP_SECONDS} s warm-up, ${Math.round(result.requests.average)} req/s, ` +
        `${result.requests.total} requests, ${errors} errors or non-2xx, ${samples.length} memory samples`,
    );
    console.log(
      `soak growth after warm-up: heap ${heapGrowth.toFixed(1)} MB (${(heapGrowth / 5).toFixed(2)} of the 5 MB bound), ` +
        `RSS ${rssGrowth.toFixed(1)} MB (${(rssGrowth / 5).toFixed(2)} of the bound); heap troughs (median) ` +
        `${(median(early) / MB).toFixed(1)} → ${(median(late) / MB).toFixed(1)} MB, RSS (median, first and last fifth) ${(median(first.map((s) => s.rss)) / MB).toFixed(1)} → ${(median(last.map((s) => s.rss)) / MB).toFixed(1)} MB`,
    );
  } finally {
    await service.stop();
    upstream.kill('SIGKILL');
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
