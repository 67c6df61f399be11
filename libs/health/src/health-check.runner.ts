import { performance } from 'node:perf_hooks';
import type { CheckResult, HealthCheckDefinition } from '@nestjs-reliability/common';
import { redactSecrets } from './redact-secrets';

/**
 * `ok`: up. `degraded`: a non-critical check is down, or a check answered terminus 12's `degraded` (readiness
 * still 200). `down`: a critical check is down.
 */
export type CheckStatus = 'ok' | 'degraded' | 'down';

export interface CheckOutcome {
  readonly name: string;
  readonly critical: boolean;
  readonly status: CheckStatus;
  /** Milliseconds the check took (or has been running, when a previous run still hangs). */
  readonly responseTime: number;
  /** Why it is down: one short line, secrets redacted. */
  readonly reason?: string;
}

export interface HealthSnapshot {
  readonly status: CheckStatus;
  readonly checks: readonly CheckOutcome[];
}

export interface HealthCheckRunnerOptions {
  /** The checks of one round, read again at every round so late registrations join. */
  definitions: () => readonly HealthCheckDefinition[];
  defaultTimeoutMs: number;
  /** Pause between the end of one round and the start of the next. */
  intervalMs: number;
  /**
   * The pause instead of `intervalMs` until the first round that is not down: while an instance starts, its
   * dependencies connect within moments of the first round, and readiness should say so without waiting a full
   * interval. Afterwards (an outage included) rounds keep to `intervalMs`. Default: `intervalMs`.
   */
  startupIntervalMs?: number;
  onSnapshot?: (snapshot: HealthSnapshot) => void;
}

/** `reason` on an up verdict: up but degraded (terminus 12), and why. */
type Verdict = { up: true; reason?: string } | { up: false; reason: string };

/**
 * Computes every check in the background and keeps the last result, so a probe costs a map lookup and a
 * dependency sees at most one check per round whatever the probe rate. Two single-flights bound the load:
 * concurrent callers of `refresh()` share one round, and a check still hanging from a previous round is not
 * started again (it is reported down until it settles).
 */
export class HealthCheckRunner {
  private last: HealthSnapshot | undefined;
  private round: Promise<HealthSnapshot> | undefined;
  private readonly startedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private started = false;

  constructor(private readonly options: HealthCheckRunnerOptions) {}

  /** The last completed round, or undefined before the first one. */
  get snapshot(): HealthSnapshot | undefined {
    return this.last;
  }

  /** Runs a round now, or joins the one in progress. Never rejects. */
  refresh(): Promise<HealthSnapshot> {
    this.round ??= this.compute().finally(() => (this.round = undefined));
    return this.round;
  }

  /** Starts the background rounds: one now, then one `intervalMs` (`startupIntervalMs`, see there) after each round ends. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = () => {
      void this.refresh().then((snapshot) => {
        this.started ||= snapshot.status !== 'down';
        const pause = this.started
          ? this.options.intervalMs
          : (this.options.startupIntervalMs ?? this.options.intervalMs);
        if (this.running) this.timer = setTimeout(loop, pause).unref();
      });
    };
    loop();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async compute(): Promise<HealthSnapshot> {
    const checks = await Promise.all(this.options.definitions().map((definition) => this.run(definition)));
    const status: CheckStatus = checks.some((check) => check.status === 'down')
      ? 'down'
      : checks.some((check) => check.status === 'degraded')
        ? 'degraded'
        : 'ok';
    this.last = { status, checks };
    this.options.onSnapshot?.(this.last);
    return this.last;
  }

  private async run(definition: HealthCheckDefinition): Promise<CheckOutcome> {
    const { name } = definition;
    const critical = definition.critical ?? true;
    const timeoutMs = definition.timeoutMs ?? this.options.defaultTimeoutMs;
    const outcome = (verdict: Verdict, started: number): CheckOutcome => ({
      name,
      critical,
      status: verdict.up ? (verdict.reason === undefined ? 'ok' : 'degraded') : critical ? 'down' : 'degraded',
      responseTime: Math.round(performance.now() - started),
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    });

    const previous = this.startedAt.get(name);
    if (previous !== undefined) {
      const elapsed = Math.round(performance.now() - previous);
      return outcome({ up: false, reason: `the previous check is still running after ${elapsed} ms` }, previous);
    }

    const started = performance.now();
    this.startedAt.set(name, started);
    const settled = Promise.resolve()
      .then(() => definition.check())
      .then(
        (result): Verdict => verdictOf(name, result),
        (error: unknown): Verdict => ({ up: false, reason: reasonOf(error) }),
      )
      .finally(() => this.startedAt.delete(name));

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => resolve({ up: false, reason: `timed out after ${timeoutMs} ms` }), timeoutMs).unref();
    });
    try {
      return outcome(await Promise.race([settled, timedOut]), started);
    } finally {
      clearTimeout(timer);
    }
  }
}

function verdictOf(name: string, result: CheckResult): Verdict {
  const detail = result[name] ?? Object.values(result)[0];
  if (detail?.status === 'up') return { up: true };
  const message = [detail?.message, detail?.reason, detail?.error].find((value) => typeof value === 'string');
  if (detail?.status === 'degraded') {
    return { up: true, reason: typeof message === 'string' ? redactSecrets(message) : 'degraded' };
  }
  return { up: false, reason: typeof message === 'string' ? redactSecrets(message) : 'down' };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? redactSecrets(error.message || error.name) : 'the check failed';
}
