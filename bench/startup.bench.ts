// Cold start of the reference service with live dependencies (redis-server, FerretDB): from spawning the process to
// `/health/readiness` answering 200 (MongoDB connected, TSID node leased and issuing), against the budget of
// 1 s: the first start on a machine (V8's compile cache empty, see src/main.ts), the median of restarts, and the
// median of first starts from a cache that `main.js --fill-compile-cache` filled, as the image build does (Dockerfile):
// a container's first start.
// And the time to the first TSID on an empty Redis, which is start-up plus the lease's quarantine after possible
// data loss, TTL + maxClockSkewMs (libs/tsid/README.md, "Time to the first ID"): measured with
// TSID_LEASE_TTL_MS=3000 and 2000 (quarantine 4 s and 3 s), computed for the default 30 s TTL.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_MAIN } from '../test/support';
import { type LiveStack, median, msUntil, smoke, spawnService, startLiveStack } from './live-stack';

const RESTARTS = smoke ? 1 : 7;
const FILLED_STARTS = smoke ? 1 : 5;
const SKEW_MS = 1_000;
const BUDGET_MS = 1_000;
const TARGET_FIRST_ID_MS = 5_000;

/** Spawn to readiness 200, ms. */
async function startToReadiness(stack: LiveStack, env: Record<string, string>): Promise<number> {
  const since = performance.now();
  const service = await spawnService(stack, env);
  const ready = await msUntil(`${service.url}/health/readiness`, since, service.child);
  await service.stop();
  return ready;
}

/** Spawn to the first `/ids` 200 on an empty Redis, and to liveness, ms. */
async function firstId(stack: LiveStack, env: Record<string, string>): Promise<{ id: number; liveness: number }> {
  await stack.redis.flushAll();
  const since = performance.now();
  const service = await spawnService(stack, env);
  const liveness = await msUntil(`${service.url}/health/liveness`, since, service.child);
  const id = await msUntil(`${service.url}/ids`, since, service.child);
  await service.stop();
  return { id, liveness };
}

/** A container's first start: spawn to readiness 200 with a compile cache of its own, filled as the image build fills it. */
async function startFromFilledCache(stack: LiveStack, env: Record<string, string>): Promise<number> {
  const imageTmp = mkdtempSync(join(tmpdir(), 'startup-bench-image-'));
  try {
    execFileSync(process.execPath, [SERVICE_MAIN, '--fill-compile-cache'], { env: { TMPDIR: imageTmp } });
    return await startToReadiness(stack, { ...env, TMPDIR: imageTmp });
  } finally {
    rmSync(imageTmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const stack = await startLiveStack();
  // Its own compile cache, found where the service puts it by default (node-compile-cache in the OS temp directory):
  // the first start below is the first this cache sees. Not NODE_COMPILE_CACHE, which Node reads before main.js runs
  // and would hide a service that turned the cache on too late for its bundle.
  const tempDir = mkdtempSync(join(tmpdir(), 'startup-bench-tmp-'));
  const lease = { TSID_MAX_CLOCK_SKEW_MS: String(SKEW_MS) };
  try {
    for (const ttl of [3_000, 2_000]) {
      const { id, liveness } = await firstId(stack, { ...lease, TSID_LEASE_TTL_MS: String(ttl) });
      console.log(
        `time to the first TSID on an empty Redis with TSID_LEASE_TTL_MS=${ttl}: ${(id / 1000).toFixed(2)} s ` +
          `(liveness after ${Math.round(liveness)} ms, then quarantine ${(ttl + SKEW_MS) / 1000} s = TTL + skew), ` +
          `ratio to the 5 s target ${(id / TARGET_FIRST_ID_MS).toFixed(2)}`,
      );
    }
    console.log('time to the first TSID with the default TTL 30 s: 31 s + start-up');

    // Redis now holds the lease state: readiness waits for no quarantine.
    const env = { ...lease, TSID_LEASE_TTL_MS: '3000', TMPDIR: tempDir };
    const first = await startToReadiness(stack, env);
    const restarts: number[] = [];
    for (let start = 0; start < RESTARTS; start++) restarts.push(await startToReadiness(stack, env));
    const restart = median(restarts);
    const filledStarts: number[] = [];
    for (let start = 0; start < FILLED_STARTS; start++) filledStarts.push(await startFromFilledCache(stack, env));
    const filled = median(filledStarts);
    console.log(
      `cold start, spawn to readiness 200 with live Redis and FerretDB: first start (compile cache empty) ${Math.round(first)} ms, ` +
        `ratio to the 1 s budget ${(first / BUDGET_MS).toFixed(2)}; restarts: median ${Math.round(restart)} ms over ${RESTARTS}, ` +
        `ratio ${(restart / BUDGET_MS).toFixed(2)} (ms: ${restarts.map(Math.round).join(' ')}); ` +
        `first start from a cache filled at image build: median ${Math.round(filled)} ms over ${FILLED_STARTS}, ` +
        `ratio ${(filled / BUDGET_MS).toFixed(2)} (ms: ${filledStarts.map(Math.round).join(' ')})`,
    );
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
