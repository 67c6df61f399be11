import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthCheckRunner, type HealthSnapshot } from './health-check.runner';
import {
  EventLoopLagMonitor,
  type GaugeMetric,
  type HealthCheckDefinition,
  METRICS_RECORDER,
  type MetricsRecorder,
  SHUTDOWN_COORDINATOR,
  type ShutdownCoordinator,
  type StartupHold,
} from '@nestjs-reliability/common';
import { HealthIndicatorCheck } from './health-indicator.decorator';
import { checkReadinessGroup, type ResolvedHealthOptions } from './health.options';
import { HealthRegistry } from './health.registry';
import { RESOLVED_HEALTH_OPTIONS } from './health.tokens';
import { MemoryHealthIndicator } from './indicators/memory.health';
import { MongoDbHealthIndicator } from './indicators/mongodb.health';
import { RedisHealthIndicator } from './indicators/redis.health';
import { StartupGate } from './startup.gate';

const MB = 1024 * 1024;
/** Pause between readiness rounds while none has been up yet (start-up only; see HealthCheckRunner). */
const STARTUP_ROUND_INTERVAL_MS = 100;

/** What a probe answers: an HTTP status and a JSON body. */
export interface ProbeAnswer {
  statusCode: 200 | 503;
  body: Record<string, unknown>;
}

/**
 * Owns the probes' answers. Readiness is computed in the background (`HealthCheckRunner`) from the checks of
 * the readiness group and served from the last result; `ShutdownService.isShuttingDown` turns it to 503 at once.
 */
@Injectable()
export class HealthService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: HealthCheckRunner;
  private readonly lag: EventLoopLagMonitor | undefined;
  private readonly firstRound: StartupHold;
  private readonly gauge: GaugeMetric<'check'> | undefined;
  /** Readiness body parts rebuilt once per round, so a probe storm costs no per-request work beyond a clock read. */
  private checks: Record<string, { status: string; responseTime: number; reason?: string }> = {};
  private memory: Record<'heapUsed' | 'heapTotal' | 'rss' | 'external', number> | undefined;
  private stopped = false;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly registry: HealthRegistry,
    private readonly gate: StartupGate,
    private readonly indicators: HealthIndicatorService,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
    @Optional() @Inject(SHUTDOWN_COORDINATOR) private readonly shutdown?: ShutdownCoordinator,
  ) {
    this.gauge = metrics?.gauge({
      name: 'health_check_status',
      help: 'Result of the last readiness check: 1 up, 0 down.',
      labelNames: ['check'],
    });
    // "Dependencies tried once": start-up is not complete before the first readiness round has finished.
    this.firstRound = gate.hold('health:first-readiness-round');
    this.runner = new HealthCheckRunner({
      definitions: () => this.readinessGroup(),
      defaultTimeoutMs: options.checkTimeoutMs,
      intervalMs: options.refreshIntervalMs,
      // Ready within ~100 ms of the dependencies connecting, not a whole interval later (cold start ≤ 1 s).
      startupIntervalMs: Math.min(STARTUP_ROUND_INTERVAL_MS, options.refreshIntervalMs),
      onSnapshot: (snapshot) => this.recorded(snapshot),
    });
    this.lag = options.liveness && new EventLoopLagMonitor(undefined, options.liveness.maxEventLoopLagMs);
  }

  onModuleInit(): void {
    const { memory, mongodb, redis } = this.options;
    if (memory) {
      const indicator = new MemoryHealthIndicator(this.indicators, memory.heapUsedThresholdBytes);
      const { critical, timeoutMs } = memory;
      this.registry.register({ name: 'memory', critical, timeoutMs, check: () => indicator.check('memory') });
    }
    if (mongodb) {
      const indicator = new MongoDbHealthIndicator(this.indicators, mongodb.connection);
      const { critical, timeoutMs } = mongodb;
      this.registry.register({ name: 'mongodb', critical, timeoutMs, check: () => indicator.check('mongodb') });
    }
    if (redis) {
      const indicator = new RedisHealthIndicator(this.indicators, redis.client);
      const { critical, timeoutMs } = redis;
      this.registry.register({ name: 'redis', critical, timeoutMs, check: () => indicator.check('redis') });
    }
    this.registerDecoratedMethods();
  }

  onApplicationBootstrap(): void {
    if (this.options.include) checkReadinessGroup(this.options.include, this.registry.names());
    this.runner.start();
    this.lag?.start();
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.runner.stop();
    this.lag?.stop();
  }

  /** 200 while the event loop answers (and, when configured, is not lagging for a sustained period). */
  liveness(): ProbeAnswer {
    const liveness = this.options.liveness;
    const lagging = liveness !== undefined && this.lag!.laggingForMs >= liveness.sustainedMs;
    return {
      statusCode: lagging ? 503 : 200,
      body: {
        status: lagging ? 'down' : 'ok',
        ...this.identity(),
        ...(lagging && this.options.exposeErrorDetails
          ? { reason: `event-loop lag above ${liveness.maxEventLoopLagMs} ms for ${liveness.sustainedMs} ms or more` }
          : {}),
      },
    };
  }

  /** 200 when every critical check of the readiness group is up; 503 otherwise and from the start of shutdown. */
  readiness(): ProbeAnswer | Promise<ProbeAnswer> {
    const shuttingDown = this.stopped || (this.shutdown?.isShuttingDown ?? false);
    const snapshot = this.runner.snapshot;
    if (snapshot || shuttingDown) return this.readinessAnswer(snapshot, shuttingDown);
    // Before the first round: every early probe joins the same round instead of checking on its own.
    return this.runner.refresh().then((first) => this.readinessAnswer(first, this.shutdown?.isShuttingDown ?? false));
  }

  /** 503 until the application has bootstrapped and every `StartupGate` hold is released. */
  startup(): ProbeAnswer {
    const started = this.gate.isStarted;
    return {
      statusCode: started ? 200 : 503,
      body: {
        status: started ? 'ok' : 'starting',
        ...this.identity(),
        ...(!started && this.options.exposeErrorDetails ? { pending: this.gate.pendingHolds } : {}),
      },
    };
  }

  private readinessAnswer(snapshot: HealthSnapshot | undefined, shuttingDown: boolean): ProbeAnswer {
    const status = shuttingDown ? 'down' : (snapshot?.status ?? 'down');
    return {
      statusCode: status === 'down' ? 503 : 200,
      body: {
        status,
        ...(shuttingDown ? { shuttingDown: true } : {}),
        ...this.identity(),
        memory: this.memory ?? memoryInMb(),
        checks: this.checks,
      },
    };
  }

  private identity() {
    return {
      timestamp: new Date().toISOString(),
      service: this.options.service,
      version: this.options.version,
      uptime: Math.floor(process.uptime()),
    };
  }

  private readinessGroup(): HealthCheckDefinition[] {
    const include = this.options.include;
    const all = this.registry.list();
    if (!include) return all;
    const byName = new Map(all.map((definition) => [definition.name, definition]));
    return include.flatMap((name) => byName.get(name) ?? []);
  }

  private recorded(snapshot: HealthSnapshot): void {
    const details = this.options.exposeErrorDetails;
    const checks: typeof this.checks = {};
    for (const check of snapshot.checks) {
      checks[check.name] = {
        status: check.status,
        responseTime: check.responseTime,
        ...(details && check.reason !== undefined ? { reason: check.reason } : {}),
      };
    }
    this.checks = checks;
    // process.memoryUsage() costs tens of microseconds (it reads the RSS from the OS): once per round, not per probe.
    this.memory = memoryInMb();
    this.firstRound.release();
    for (const check of snapshot.checks) this.gauge?.set({ check: check.name }, check.status === 'ok' ? 1 : 0);
  }

  private registerDecoratedMethods(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const meta = this.discovery.getMetadataByDecorator(HealthIndicatorCheck, wrapper, method);
        if (!meta) continue;
        const fn = (instance as Record<string, HealthCheckDefinition['check']>)[method];
        this.registry.register({ ...meta, check: () => fn.call(instance) });
      }
    }
  }
}

function memoryInMb() {
  const memory = process.memoryUsage();
  return {
    heapUsed: Math.round(memory.heapUsed / MB),
    heapTotal: Math.round(memory.heapTotal / MB),
    rss: Math.round(memory.rss / MB),
    external: Math.round(memory.external / MB),
  };
}
