import {
  type BeforeApplicationShutdown,
  type CanActivate,
  Controller,
  type DynamicModule,
  Get,
  Injectable,
  type INestApplication,
  type LoggerService,
  Module,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  ParseIntPipe,
  Query,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { rawGet, type RawAnswer } from '../../../test/support/raw-get';
import { ExitCode, isSignalConflictError, ShutdownModule, ShutdownService } from '.';
import type { ShutdownModuleOptions } from '.';

/** What the test app saw, shared with the test. */
@Injectable()
class Probe {
  slowStarted = 0;
  guardEntered = 0;
  readonly events: string[] = [];
}

@Injectable()
class SlowRejectingGuard implements CanActivate {
  constructor(private readonly probe: Probe) {}

  async canActivate(): Promise<boolean> {
    this.probe.guardEntered++;
    await delay(300);
    return false;
  }
}

@Controller()
class TestController {
  constructor(
    private readonly shutdown: ShutdownService,
    private readonly probe: Probe,
  ) {}

  @Get('slow')
  async slow(@Query('ms', ParseIntPipe) ms: number): Promise<{ ok: boolean }> {
    this.probe.slowStarted++;
    // Unref'd so a request cut by the timeout test does not hold the test process open afterwards.
    await delay(ms, undefined, { ref: false });
    return { ok: true };
  }

  /** Stands in for the health library's readiness probe. */
  @Get('ready')
  ready(): { status: string } {
    if (this.shutdown.isShuttingDown) throw new ServiceUnavailableException('shutting down');
    return { status: 'ok' };
  }

  @Get('guarded')
  @UseGuards(SlowRejectingGuard)
  guarded(): string {
    return 'never';
  }
}

/** Records Nest's own lifecycle hooks, which `app.close()` runs inside the sequence. */
@Injectable()
class Lifecycle implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(private readonly probe: Probe) {}
  onModuleDestroy(): void {
    this.probe.events.push('onModuleDestroy');
  }
  beforeApplicationShutdown(): void {
    this.probe.events.push('beforeApplicationShutdown');
  }
  onApplicationShutdown(): void {
    this.probe.events.push('onApplicationShutdown');
  }
}

@Module({})
class TestAppModule {
  static forRoot(options: ShutdownModuleOptions): DynamicModule {
    return {
      module: TestAppModule,
      imports: [MetricsModule.forRoot({ prefix: 'test_' }), ShutdownModule.forRoot(options)],
      controllers: [TestController],
      providers: [Probe, Lifecycle, SlowRejectingGuard],
    };
  }
}

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: string, context?: string): void {
    this.lines.push(`${context}: ${message}`);
  }
  warn(message: string, context?: string): void {
    this.lines.push(`${context}: WARN ${message}`);
  }
  error(message: string, _stack?: string, context?: string): void {
    this.lines.push(`${context}: ERROR ${message}`);
  }
}

type AdapterKind = 'express' | 'fastify';

interface RunningApp {
  app: INestApplication;
  port: number;
  shutdown: ShutdownService;
  probe: Probe;
  logger: CapturingLogger;
  /** Resolves with the code given to the injected `exit`, and when. */
  exited: Promise<{ code: number; at: number }>;
  /** Resolves once the sequence logged its last line (it goes on after an early exit in tests). */
  complete(): Promise<void>;
  waitForLog(pattern: RegExp): Promise<string>;
}

const running: RunningApp[] = [];

async function startApp(kind: AdapterKind, options: ShutdownModuleOptions, attach = true): Promise<RunningApp> {
  let resolveExit!: (value: { code: number; at: number }) => void;
  const exited = new Promise<{ code: number; at: number }>((resolve) => (resolveExit = resolve));
  const logger = new CapturingLogger();
  const adapter = kind === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(
    TestAppModule.forRoot({ ...options, exit: (code) => resolveExit({ code, at: performance.now() }) }),
    adapter,
    { logger },
  );
  const shutdown = app.get(ShutdownService);
  if (attach) shutdown.attach(app);
  await app.listen(0, '127.0.0.1');
  const waitForLog = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const line = logger.lines.find((candidate) => pattern.test(candidate));
      if (line) return line;
      await delay(5);
    }
  };
  const started: RunningApp = {
    app,
    port: (app.getHttpServer() as { address(): AddressInfo }).address().port,
    shutdown,
    probe: app.get(Probe),
    logger,
    exited,
    complete: async () => void (await waitForLog(/Shutdown complete/)),
    waitForLog,
  };
  running.push(started);
  return started;
}

afterEach(async () => {
  // Apps whose sequence never started are closed here; the others closed themselves.
  for (const { app, shutdown } of running.splice(0)) if (!shutdown.isShuttingDown) await app.close();
});

/**
 * Delivers a signal to the listeners of this test file's `process`. Jest gives each test file its own copy of
 * `process`, so a real `process.kill` would bypass them; test/shutdown/*.e2e-spec.ts sends real signals.
 */
function deliver(signal: NodeJS.Signals): void {
  process.emit(signal, signal);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(2);
}

describe.each<AdapterKind>(['express', 'fastify'])('graceful shutdown on %s', (kind) => {
  it('answers 50 in-flight slow requests after SIGTERM, drains, refuses new connections and exits 0', async () => {
    const drainDelayMs = 300;
    const requestMs = 1_000;
    const { port, shutdown, probe, logger, exited, waitForLog } = await startApp(kind, {
      drainDelayMs,
      timeoutMs: 10_000,
    });
    const keepAlive = new Agent({ keepAlive: true });
    const idle = await rawGet(port, '/ready', keepAlive);
    expect(idle).toMatchObject({ status: 200, connection: 'keep-alive' });
    let idleClosedAt: number | undefined;
    idle.socket.once('close', () => (idleClosedAt = performance.now()));

    const slow = Array.from({ length: 50 }, () => rawGet(port, `/slow?ms=${requestMs}`));
    await until(() => probe.slowStarted === 50);

    const signalledAt = performance.now();
    deliver('SIGTERM');
    let readiness: RawAnswer;
    do readiness = await rawGet(port, '/ready');
    while (readiness.status === 200);
    const notReadyAfter = performance.now() - signalledAt;
    expect(readiness.status).toBe(503); // over a new connection: the listener is still open
    expect(notReadyAfter).toBeLessThan(50);
    expect(shutdown.isShuttingDown).toBe(true);
    expect(idleClosedAt).toBeUndefined();

    await waitForLog(/Drain delay over/);
    await expect(rawGet(port, '/ready')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await until(() => idleClosedAt !== undefined);

    const answers = await Promise.all(slow);
    expect(answers.map(({ status }) => status)).toEqual(Array(50).fill(200));
    expect(answers.every(({ connection }) => connection === 'close')).toBe(true);
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThanOrEqual(drainDelayMs + requestMs + 1_000);
    expect(
      logger.lines.filter((line) => line.startsWith('Shutdown:')).map((line) => line.replace(/\d+ ms/g, 'N ms')),
    ).toEqual([
      'Shutdown: Shutdown started (SIGTERM) with 50 request(s) in flight: readiness answers 503 from now; serving for the drain delay of N ms',
      'Shutdown: Drain delay over (+N ms): listener closed, 1 idle connection(s) closed, 50 request(s) in flight on 50 connection(s)',
      'Shutdown: Every in-flight request answered (+N ms)',
      'Shutdown: Shutdown: Nest application close (lifecycle hooks) done in N ms',
      'Shutdown: Shutdown complete (+N ms): exiting with code 0',
    ]);
    expect(probe.events).toEqual(['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown']);
    keepAlive.destroy();
  });

  it('cuts a request longer than the shutdown timeout and exits 70', async () => {
    const { port, probe, exited, waitForLog } = await startApp(kind, { drainDelayMs: 0, timeoutMs: 300 });
    const long = rawGet(port, '/slow?ms=3000');
    await until(() => probe.slowStarted === 1);
    deliver('SIGINT');

    await expect(long).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await exited).code).toBe(ExitCode.ShutdownTimeout);
    await waitForLog(/Shutdown timeout of 300 ms reached \(\+\d+ ms\): cut 1 request\(s\) in flight by closing 1/);
  });

  it('counts a request that a guard rejects as in flight and lets it answer', async () => {
    const { port, shutdown, probe, exited, waitForLog } = await startApp(kind, { drainDelayMs: 0, timeoutMs: 5_000 });
    const guarded = rawGet(port, '/guarded');
    await until(() => probe.guardEntered === 1);
    shutdown.shutdown('deploy');

    await waitForLog(/listener closed, 0 idle connection\(s\) closed, 1 request\(s\) in flight/);
    expect((await guarded).status).toBe(403);
    expect((await exited).code).toBe(0);
  });
});

describe('ShutdownService', () => {
  it('runs registered hooks in order around app.close(), each bounded and logged, failures included', async () => {
    const { shutdown, probe, exited, logger } = await startApp('fastify', { drainDelayMs: 0, hookTimeoutMs: 1_000 });
    shutdown.registerHook({ name: 'after', stage: 'after-app-close', run: () => void probe.events.push('after') });
    shutdown.registerHook({ name: 'first', run: () => void probe.events.push('first') });
    shutdown.registerHook({ name: 'hangs', timeoutMs: 50, run: () => new Promise(() => probe.events.push('hangs')) });
    shutdown.registerHook({
      name: 'fails',
      run: () => {
        probe.events.push('fails');
        throw new Error('disk full');
      },
    });
    expect(() => shutdown.registerHook({ name: 'first', run: () => undefined })).toThrow(/already registered/);

    shutdown.shutdown('test');
    expect((await exited).code).toBe(0);
    expect(probe.events).toEqual([
      'first',
      'hangs',
      'fails',
      'onModuleDestroy',
      'beforeApplicationShutdown',
      'onApplicationShutdown',
      'after',
    ]);
    expect(logger.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Shutdown: Shutdown: hook "first" done in \d+ ms$/),
        'Shutdown: WARN Shutdown: hook "hangs" did not finish within 50 ms; moving on',
        expect.stringMatching(/^Shutdown: ERROR Shutdown: hook "fails" failed after \d+ ms: disk full; moving on$/),
        expect.stringMatching(/^Shutdown: Shutdown: hook "after" done in \d+ ms$/),
      ]),
    );
    expect(() => shutdown.registerHook({ name: 'late', run: () => undefined })).toThrow(/after shutdown began/);
  });

  it('exits with the code asked for from code, sets shutdown_in_progress, and ignores later requests', async () => {
    const { app, shutdown, exited, waitForLog } = await startApp('express', { drainDelayMs: 0 });
    const metrics = app.get(MetricsService);
    const gauge = async () =>
      (await metrics.registry.getSingleMetricAsString('test_shutdown_in_progress')).split('\n').pop();
    expect(await gauge()).toBe('test_shutdown_in_progress 0');

    shutdown.shutdown('TSID lease lost', ExitCode.LeaseLost);
    expect(shutdown.isShuttingDown).toBe(true);
    expect(await gauge()).toBe('test_shutdown_in_progress 1');
    shutdown.shutdown('SIGTERM');
    await waitForLog(/Shutdown already in progress; ignoring "SIGTERM"/);
    expect((await exited).code).toBe(ExitCode.LeaseLost);
  });

  it('exits at once with 128 + the signal number on a second signal', async () => {
    const { shutdown, exited, complete } = await startApp('fastify', { drainDelayMs: 1_000 });
    deliver('SIGTERM');
    await until(() => shutdown.isShuttingDown);
    deliver('SIGTERM');
    expect((await exited).code).toBe(143);
    await complete();
  });

  it('refuses to share signals with enableShutdownHooks, whichever is called first', async () => {
    const before = await NestFactory.create(TestAppModule.forRoot({}), new ExpressAdapter(), { logger: false });
    before.enableShutdownHooks();
    let thrown: unknown;
    try {
      before.get(ShutdownService).attach(before);
    } catch (error) {
      thrown = error;
    }
    expect(isSignalConflictError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(
      /^SIGTERM already has 1 other listener\(s\).*remove enableShutdownHooks\(\)/,
    );
    await before.close();

    const after = await NestFactory.create(TestAppModule.forRoot({}), new ExpressAdapter(), { logger: false });
    after.get(ShutdownService).attach(after);
    after.enableShutdownHooks();
    await expect(after.init()).rejects.toThrow(/SIGTERM already has 1 other listener/);
    await after.close();
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('warns at start-up when the module is imported but never attached', async () => {
    const { logger } = await startApp('express', {}, false);
    expect(logger.lines).toContain(
      'Shutdown: WARN ShutdownModule is imported but not attached, so signals get no graceful shutdown: ' +
        'call app.get(ShutdownService).attach(app) in main.ts before app.listen().',
    );
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('rejects invalid options when the application is created', async () => {
    await expect(
      NestFactory.create(TestAppModule.forRoot({ timeoutMs: -5 }), new ExpressAdapter(), {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow('ShutdownModule: option "timeoutMs" is -5; it must be an integer from 0 to 2147483647.');
  });
});
