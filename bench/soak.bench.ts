// Memory soak: the reference service with every module on (live Redis and FerretDB, a 100 ms directory upstream,
// LOG_LEVEL=info) under full-rate load from autocannon (32 connections cycling through /ids, /organizations reads
// and creates, /directory/:key, /demo/ping) for BENCH_SOAK_SECONDS (default 300: the 5-minute soak) after a
// warm-up. Heap used and RSS swing by 100 MB and more between V8's major collections, so a sample taken at some
// moment says more about when the last collection ran than about growth. The bench therefore measures after a full
// collection it asks for through the service's inspector (`--inspect` on a free local port, `HeapProfiler.
// collectGarbage`, then `process.memoryUsage()`): once after the warm-up, every SAMPLE_MS under load, and at the
// end. Growth: the last sample against the first. Target: both < 5 MB.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../test/support';
import { msUntil, smoke, spawnService, startLiveStack } from './live-stack';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? (smoke ? 2 : 300));
const WARM_UP_SECONDS = smoke ? 1 : 30;
const SAMPLE_MS = smoke ? 1_000 : 60_000;
const MB = 1024 * 1024;

interface Memory {
  heap: number;
  rss: number;
}

interface InspectorSession {
  call(method: string, params?: object): Promise<unknown>;
  close(): void;
}

/** A Chrome DevTools Protocol session on the service's inspector (Node's own WebSocket client). */
async function inspectorSession(port: number): Promise<InspectorSession> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const call = message.id === undefined ? undefined : pending.get(message.id);
    if (!call) return;
    pending.delete(message.id!);
    if (message.error) call.reject(new Error(message.error.message));
    else call.resolve(message.result);
  };
  let nextId = 1;
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Heap used and RSS right after a full collection. */
async function memoryAfterGc(session: InspectorSession): Promise<Memory> {
  await session.call('HeapProfiler.collectGarbage');
  const { result } = (await session.call('Runtime.evaluate', {
    expression: 'JSON.stringify(process.memoryUsage())',
    returnByValue: true,
  })) as { result: { value: string } };
  const usage = JSON.parse(result.value) as { heapUsed: number; rss: number };
  return { heap: usage.heapUsed, rss: usage.rss };
}

async function main(): Promise<void> {
  const stack = await startLiveStack();
  const upstream = spawn(process.execPath, [join(__dirname, 'slow-upstream.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const upstreamPort = await new Promise<string>((resolve) =>
    upstream.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim())),
  );
  const inspectPort = await freePort();
  const service = await spawnService(stack, {
    UPSTREAM_URL: `http://127.0.0.1:${upstreamPort}`,
    TSID_LEASE_TTL_MS: '3000',
    DEMO_ENDPOINTS: 'true',
    NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
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
    const session = await inspectorSession(inspectPort);
    const samples = [await memoryAfterGc(session)];
    let sampling = Promise.resolve();
    const sampler = setInterval(() => {
      sampling = sampling.then(async () => void samples.push(await memoryAfterGc(session)));
    }, SAMPLE_MS);
    const result = await load(SECONDS);
    clearInterval(sampler);
    await sampling;
    samples.push(await memoryAfterGc(session));
    session.close();
    const [first, last] = [samples[0], samples[samples.length - 1]];
    const heapGrowth = (last.heap - first.heap) / MB;
    const rssGrowth = (last.rss - first.rss) / MB;
    const errors = result.errors + result.non2xx;
    const series = (pick: (sample: Memory) => number) =>
      samples.map((sample) => (pick(sample) / MB).toFixed(1)).join(' ');
    console.log(
      `soak, after a full GC every ${SAMPLE_MS / 1000} s: heap used MB ${series((s) => s.heap)}; RSS MB ${series((s) => s.rss)}`,
    );
    console.log(
      `soak: ${SECONDS} s at full rate after ${WARM_UP_SECONDS} s warm-up, ${Math.round(result.requests.average)} req/s, ` +
        `${result.requests.total} requests, ${errors} errors or non-2xx, ${samples.length} samples after a full GC`,
    );
    console.log(
      `soak growth after warm-up: heap ${heapGrowth.toFixed(1)} MB (${(heapGrowth / 5).toFixed(2)} of the 5 MB bound), ` +
        `RSS ${rssGrowth.toFixed(1)} MB (${(rssGrowth / 5).toFixed(2)} of the bound); heap ${(first.heap / MB).toFixed(1)} → ` +
        `${(last.heap / MB).toFixed(1)} MB, RSS ${(first.rss / MB).toFixed(1)} → ${(last.rss / MB).toFixed(1)} MB`,
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
