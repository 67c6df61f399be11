import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionTracker } from './connection.tracker';
import { type DrainableWork, ExitCode } from '@nestjs-reliability/common';
import { signalExitCode } from './exit-codes';
import type { ShutdownHook } from './shutdown-hook.definition';
import type { ResolvedShutdownOptions } from './shutdown.options';
import { SignalConflictError } from './signal-conflict.error';

/** Where the sequence writes its steps (Nest's `Logger` fits). */
export interface ShutdownLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

type State = 'idle' | 'running' | 'exited';

/**
 * The graceful shutdown sequence, with no Nest in it:
 * readiness off → drain delay → close the listener (idle connections at once, the rest after their response)
 * → wait for in-flight requests up to the timeout, then cut → hooks, `app.close()`, hooks, each bounded → exit.
 * It owns the process's shutdown signals and, optionally, its fatal error events.
 */
export class ShutdownSequence {
  private state: State = 'idle';
  private tracker: ConnectionTracker | undefined;
  private closeApp: (() => Promise<unknown>) | undefined;
  private readonly hooks: Required<ShutdownHook>[] = [];
  private readonly works: DrainableWork[] = [];
  private requestedCode: number = ExitCode.Ok;
  private cut = false;
  private listening = false;

  constructor(
    private readonly options: ResolvedShutdownOptions,
    private readonly logger: ShutdownLogger,
    private readonly onStart: () => void = () => undefined,
  ) {}

  /** True from the synchronous start of the sequence: readiness reads it on every probe. */
  /** Requests received and not yet answered on the attached server (0 before `attach`). */
  get inFlight(): number {
    return this.tracker?.inFlight ?? 0;
  }

  get isShuttingDown(): boolean {
    return this.state !== 'idle';
  }

  get attached(): boolean {
    return this.closeApp !== undefined;
  }

  /**
   * Takes over the HTTP server (connection tracking starts now) and the function that closes the application,
   * then installs the process listeners.
   */
  attach(server: Server | undefined, closeApp: () => Promise<unknown>): void {
    if (this.attached) {
      throw new Error('ShutdownService.attach(app) was called twice; call it once, in main.ts.');
    }
    if (server !== undefined && typeof server.on !== 'function') {
      throw new TypeError('ShutdownService.attach(app): app.getHttpServer() is not a Node HTTP server.');
    }
    this.tracker = server && new ConnectionTracker(server);
    this.closeApp = closeApp;
    this.listen();
  }

  registerHook(hook: ShutdownHook): void {
    if (this.state !== 'idle') {
      throw new Error(`Shutdown hook "${hook.name}" was registered after shutdown began; register hooks at start-up.`);
    }
    if (this.hooks.some(({ name }) => name === hook.name)) {
      throw new Error(`A shutdown hook named "${hook.name}" is already registered; give each a unique name.`);
    }
    this.hooks.push({
      name: hook.name,
      run: hook.run.bind(hook),
      timeoutMs: hook.timeoutMs ?? this.options.hookTimeoutMs,
      stage: hook.stage ?? 'before-app-close',
    });
  }

  /** Background work stopped when the sequence starts and drained with the requests, under the same timeout. */
  registerWork(work: DrainableWork): void {
    if (this.state !== 'idle') {
      throw new Error(`Background work "${work.name}" was registered after shutdown began; register it at start-up.`);
    }
    this.works.push(work);
  }

  /** Throws `SignalConflictError` when another listener handles one of the configured signals. */
  assertSoleOwner(): void {
    for (const signal of this.options.signals) {
      const others = process.listeners(signal).filter((listener) => listener !== this.onSignal).length;
      if (others > 0) throw new SignalConflictError(signal, others);
    }
  }

  /**
   * Starts the sequence once; later calls only log. The process exits with `exitCode`, or with 70 when it was 0
   * and in-flight requests had to be cut.
   */
  start(reason: string, exitCode: number = ExitCode.Ok): void {
    if (this.state !== 'idle') {
      this.logger.log(`Shutdown already in progress; ignoring "${reason}" (exit code ${exitCode})`);
      return;
    }
    this.state = 'running';
    this.requestedCode = exitCode;
    this.tracker?.startDraining();
    for (const work of this.works) {
      try {
        work.stopAccepting();
      } catch (error) {
        this.logger.error(`Shutdown: stopping ${work.name} failed: ${describe(error)}`, stackOf(error));
      }
    }
    this.onStart();
    this.run(reason).catch((error: unknown) => {
      this.logger.error(`Shutdown sequence failed: ${describe(error)}`, stackOf(error));
      this.finish(ExitCode.Fatal);
    });
  }

  /** Removes every listener the sequence installed, when the application was closed by other means. */
  release(): void {
    if (this.state !== 'idle') return;
    this.unlisten();
    this.tracker?.detach();
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.state === 'idle') {
      this.start(signal);
      return;
    }
    const code = signalExitCode(signal);
    this.logger.error(`${signal} received again during shutdown: exiting at once with code ${code}`);
    this.finish(code);
  };

  private readonly onFatal = (error: unknown, origin: string): void => {
    const what = origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception';
    if (this.state === 'idle') {
      this.logger.error(`${what}: ${describe(error)}; shutting down, exit code 1`, stackOf(error));
      this.start(what, ExitCode.Fatal);
      return;
    }
    this.logger.error(
      `${what} during shutdown: ${describe(error)}; finishing the sequence, exit code 1`,
      stackOf(error),
    );
    if (this.requestedCode === ExitCode.Ok) this.requestedCode = ExitCode.Fatal;
  };

  private readonly onRejection = (reason: unknown): void => this.onFatal(reason, 'unhandledRejection');

  private listen(): void {
    this.assertSoleOwner();
    for (const signal of this.options.signals) process.on(signal, this.onSignal);
    if (this.options.handleFatalErrors) {
      process.on('uncaughtException', this.onFatal);
      process.on('unhandledRejection', this.onRejection);
    }
    this.listening = true;
  }

  private unlisten(): void {
    if (!this.listening) return;
    for (const signal of this.options.signals) process.off(signal, this.onSignal);
    process.off('uncaughtException', this.onFatal);
    process.off('unhandledRejection', this.onRejection);
    this.listening = false;
  }

  private async run(reason: string): Promise<void> {
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    const { drainDelayMs, timeoutMs, hookTimeoutMs } = this.options;
    this.logger.log(
      `Shutdown started (${reason}) with ${this.tracker?.inFlight ?? 0} request(s) in flight: readiness answers 503 ` +
        `from now; serving for the drain delay of ${drainDelayMs} ms`,
    );
    // Timers here stay ref'd: the sequence must run to its end even when nothing else keeps the process alive.
    if (drainDelayMs > 0) await delay(drainDelayMs);

    const tracker = this.tracker;
    const waitStartedAt = performance.now();
    if (tracker) {
      const { idleClosed, busy, inFlight } = tracker.closeListener();
      this.logger.log(
        `Drain delay over (+${elapsed()} ms): listener closed, ${idleClosed} idle connection(s) closed, ` +
          `${inFlight} request(s) in flight on ${busy} connection(s)`,
      );
      if (inFlight > 0) {
        if (await tracker.waitForInFlight(timeoutMs)) {
          if (tracker.undelivered === 0) {
            this.logger.log(`Every in-flight request answered (+${elapsed()} ms)`);
          } else {
            this.cut = true;
            this.logger.warn(
              `In-flight requests over (+${elapsed()} ms), but ${tracker.undelivered} response(s) were not ` +
                'delivered: their connection closed before the response was complete',
            );
          }
        } else {
          const left = tracker.inFlight;
          const destroyed = tracker.destroyAll();
          this.cut = true;
          this.logger.warn(
            `Shutdown timeout of ${timeoutMs} ms reached (+${elapsed()} ms): cut ${left} request(s) in flight ` +
              `by closing ${destroyed} connection(s)`,
          );
        }
      }
    } else {
      this.logger.warn('No application attached (call ShutdownService.attach(app) in main.ts): no listener to close');
    }

    await this.drainWork(timeoutMs - (performance.now() - waitStartedAt), elapsed);

    await this.runStage('before-app-close');
    if (this.closeApp) await this.bounded('Nest application close (lifecycle hooks)', this.closeApp, hookTimeoutMs);
    await this.runStage('after-app-close');

    const code =
      this.requestedCode !== ExitCode.Ok ? this.requestedCode : this.cut ? ExitCode.ShutdownTimeout : ExitCode.Ok;
    this.logger.log(`Shutdown complete (+${elapsed()} ms): exiting with code ${code}`);
    this.finish(code);
  }

  /** Waits for the background work with what is left of the timeout; then hands back what still runs (exit 70). */
  private async drainWork(remainingMs: number, elapsed: () => number): Promise<void> {
    if (this.works.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(resolve, Math.max(0, remainingMs), 'timeout')),
    );
    const idle = Promise.all(this.works.map((work) => work.whenIdle().catch(() => undefined)));
    const outcome = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') {
      this.logger.log(`Background work finished (+${elapsed()} ms): ${this.works.map((w) => w.name).join(', ')}`);
      return;
    }
    let cut = 0;
    for (const work of this.works) {
      try {
        cut += await work.cut();
      } catch (error) {
        this.logger.error(`Shutdown: cutting ${work.name} failed: ${describe(error)}`, stackOf(error));
      }
    }
    if (cut > 0) this.cut = true;
    this.logger.warn(
      `Shutdown timeout of ${this.options.timeoutMs} ms reached (+${elapsed()} ms): handed back ${cut} unfinished ` +
        `background job(s) for another instance`,
    );
  }

  private async runStage(stage: ShutdownHook['stage']): Promise<void> {
    for (const hook of this.hooks) {
      if (hook.stage === stage) await this.bounded(`hook "${hook.name}"`, hook.run, hook.timeoutMs);
    }
  }

  /** Runs `work`, logging how it ended; never throws and never waits longer than `timeoutMs`. */
  private async bounded(name: string, work: () => unknown, timeoutMs: number): Promise<void> {
    const startedAt = performance.now();
    const took = () => Math.round(performance.now() - startedAt);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')));
    try {
      const outcome = await Promise.race([Promise.resolve().then(work), timedOut]);
      if (outcome === 'timeout') {
        this.logger.warn(`Shutdown: ${name} did not finish within ${timeoutMs} ms; moving on`);
      } else {
        this.logger.log(`Shutdown: ${name} done in ${took()} ms`);
      }
    } catch (error) {
      this.logger.error(`Shutdown: ${name} failed after ${took()} ms: ${describe(error)}; moving on`, stackOf(error));
    } finally {
      clearTimeout(timer);
    }
  }

  private finish(code: number): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.unlisten();
    this.options.exit(code);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
