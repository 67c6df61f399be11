// Load generators for latency: an open model (constant arrival rate; each request timed from the moment the
// schedule says it should have been sent, so a stalled server cannot hide the queue behind it: the coordinated-
// omission correction) and, as the control that shows why, a closed model (a few connections, each sending its
// next request when the previous answer arrives, timed from the actual send, as autocannon and most tools do).
import { Agent, request as httpRequest } from 'node:http';

export interface Target {
  method: string;
  url: string;
  body?: string;
  /** Statuses that count as success (default: 2xx). */
  ok?: (status: number) => boolean;
}

export interface LatencySample {
  /** ms from the intended (open) or actual (closed) send time to the end of the response. */
  latencyMs: number;
  ok: boolean;
  label: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function send(target: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL(target.url);
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: target.method,
        headers: target.body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve((target.ok ?? ((status) => status >= 200 && status < 300))(res.statusCode!)));
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
    req.end(target.body);
  });
}

/**
 * Sends `rate` requests per second for `durationMs`, request i at start + i / rate whatever happened to the ones
 * before (connections are opened as needed), choosing each target with `pick(i)`. Latency is measured from the
 * intended send time, so a generator or server that falls behind shows up as latency, not as fewer requests.
 */
export async function openModel(
  rate: number,
  durationMs: number,
  pick: (i: number) => Target & { label: string },
): Promise<LatencySample[]> {
  const total = Math.round((rate * durationMs) / 1000);
  const samples: Promise<LatencySample>[] = [];
  const start = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    for (; next < total && start + (next * 1000) / rate <= now; next++) {
      const intended = start + (next * 1000) / rate;
      const target = pick(next);
      samples.push(send(target).then((ok) => ({ latencyMs: performance.now() - intended, ok, label: target.label })));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return Promise.all(samples);
}

/** `connections` loops, each sending its next request when the previous one answered; timed from the actual send. */
export async function closedModel(
  connections: number,
  durationMs: number,
  pick: (i: number) => Target & { label: string },
): Promise<LatencySample[]> {
  const samples: LatencySample[] = [];
  const end = performance.now() + durationMs;
  let i = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const target = pick(i++);
        const sent = performance.now();
        const ok = await send(target);
        samples.push({ latencyMs: performance.now() - sent, ok, label: target.label });
      }
    }),
  );
  return samples;
}

/** The value below which `q` (0–1) of `sorted` lies (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface LatencySummary {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(samples: readonly LatencySample[]): LatencySummary {
  const sorted = samples.map((sample) => sample.latencyMs).sort((a, b) => a - b);
  return {
    count: samples.length,
    errors: samples.filter((sample) => !sample.ok).length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted.at(-1) ?? NaN,
  };
}
