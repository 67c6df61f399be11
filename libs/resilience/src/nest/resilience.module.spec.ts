import {
  Controller,
  Get,
  Global,
  Injectable,
  Module,
  Scope,
  SetMetadata,
  type INestApplication,
  type Provider,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Test } from '@nestjs/testing';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import request from 'supertest';
import {
  HEALTH_CHECK_REGISTRY,
  type HealthCheckDefinition,
  isInvalidOptionError as isInvalidOption,
} from '@nestjs-reliability/common';
import {
  Bulkhead,
  CircuitBreaker,
  Fallback,
  isBrokenCircuitError,
  ResilienceModule,
  ResilienceService,
  type ResilienceModuleOptions,
  Retry,
  CallTimeout,
  currentAbortSignal,
} from '..';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const quickRetry = { maxAttempts: 3, initialDelay: 1, jitter: 'none', retryBudget: false } as const;

/** Shared behaviour of the two classes below, which only differ in the order their decorators are written. */
abstract class Upstream {
  attempts = 0;
  plan: Array<'hang' | 'fail' | 'ok'> = [];
  fallbacks: Array<{ error: unknown; key: string }> = [];

  protected async call(key: string): Promise<string> {
    this.attempts++;
    const step = this.plan.shift() ?? 'ok';
    if (step === 'fail') throw new HttpError(503);
    if (step === 'hang')
      await new Promise((_, reject) =>
        currentAbortSignal()!.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    return `value of ${key}`;
  }

  protected fromCache(error: unknown, key: string): string {
    this.fallbacks.push({ error, key });
    return `cached ${key}`;
  }
}

@Injectable()
class CanonicalOrder extends Upstream {
  @Fallback('fromCache')
  @Retry(quickRetry)
  // 4: the attempt that timed out in the first test counts too.
  @CircuitBreaker({ name: 'canonical', failureThreshold: 4 })
  @CallTimeout(30)
  @Bulkhead({ maxConcurrent: 5 })
  get(key: string): Promise<string> {
    return this.call(key);
  }
}

@Injectable()
class ReversedOrder extends Upstream {
  @Bulkhead({ maxConcurrent: 5 })
  @CallTimeout(30)
  @CircuitBreaker({ name: 'reversed', failureThreshold: 4 })
  @Retry(quickRetry)
  @Fallback('fromCache')
  get(key: string): Promise<string> {
    return this.call(key);
  }
}

/** A foreign decorator that wraps the method and copies its metadata, like a tracing `@Span`. */
const Span = (): MethodDecorator => (_target, _key, descriptor: PropertyDescriptor) => {
  const original = descriptor.value as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    spans.push(original.name);
    return original.apply(this, args);
  };
  for (const key of Reflect.getOwnMetadataKeys(original))
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapped);
  Object.defineProperty(wrapped, 'name', { value: original.name });
  descriptor.value = wrapped;
};
const spans: string[] = [];

@Controller('stack')
class StackController {
  calls = 0;

  @Get('above')
  @Retry(quickRetry)
  above(): string {
    return this.flaky();
  }

  @Retry(quickRetry)
  @Get('below')
  @SetMetadata('marker', 'kept')
  below(): string {
    return this.flaky();
  }

  @Retry(quickRetry)
  @Span()
  @CircuitBreaker({ name: 'spanned' })
  @Get('spanned')
  spanned(): string {
    return this.flaky();
  }

  private flaky(): string {
    if (++this.calls % 2 === 1) throw new HttpError(502);
    return 'ok';
  }
}

@Injectable()
class Jobs {
  ticks = 0;

  @Retry(quickRetry)
  @Cron('0 0 1 1 *', { name: 'yearly' })
  yearly(): void {
    if (++this.ticks === 1) throw new HttpError(500);
  }
}

/** Stands in for the health package: the checks registered through the shared token. */
const registeredChecks: HealthCheckDefinition[] = [];
@Global()
@Module({
  providers: [
    {
      provide: HEALTH_CHECK_REGISTRY,
      useValue: { register: (check: HealthCheckDefinition) => registeredChecks.push(check) },
    },
  ],
  exports: [HEALTH_CHECK_REGISTRY],
})
class FakeHealthModule {}

describe('ResilienceModule', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MetricsModule.forRoot({ prefix: 't_' }),
        FakeHealthModule,
        ScheduleModule.forRoot(),
        ResilienceModule.forRoot({
          policies: {
            flaky: { retry: { ...quickRetry }, circuitBreaker: { failureThreshold: 2 }, timeout: { ms: 50 } },
          },
        }),
      ],
      providers: [CanonicalOrder, ReversedOrder, Jobs],
      controllers: [StackController],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(() => app.close());

  describe.each([
    ['written in the documented order', CanonicalOrder],
    ['written in reverse order', ReversedOrder],
  ])('decorators %s', (_name, Service) => {
    let service: Upstream & { get(key: string): Promise<string> };
    beforeEach(() => {
      service = app.get<Upstream & { get(key: string): Promise<string> }>(Service);
      service.attempts = 0;
      service.fallbacks = [];
    });

    it('time each attempt separately, inside the retry', async () => {
      service.plan = ['hang', 'ok'];
      await expect(service.get('a')).resolves.toBe('value of a');
      expect(service.attempts).toBe(2);
    });

    it('count every attempt in the breaker, stop retrying once it opens, and fall back with the error and the arguments', async () => {
      service.plan = ['fail', 'fail', 'fail'];
      await expect(service.get('k')).resolves.toBe('cached k');
      expect(service.attempts).toBe(3);
      expect(service.fallbacks).toEqual([{ error: new HttpError(503), key: 'k' }]);

      await expect(service.get('k')).resolves.toBe('cached k');
      expect(service.attempts).toBe(3);
      expect(isBrokenCircuitError(service.fallbacks[1].error)).toBe(true);
    });
  });

  it('keeps the method name and the route metadata whichever side of @Get it is written', async () => {
    expect(StackController.prototype.above.name).toBe('above');
    expect(Reflect.getMetadata(PATH_METADATA, StackController.prototype.below)).toBe('below');
    expect(Reflect.getMetadata(METHOD_METADATA, StackController.prototype.below)).toBe(0);
    expect(Reflect.getMetadata('marker', StackController.prototype.below)).toBe('kept');
    await request(app.getHttpServer()).get('/stack/above').expect(200, 'ok');
    await request(app.getHttpServer()).get('/stack/below').expect(200, 'ok');
  });

  it('stacks with a foreign wrapping decorator written between two of ours: one wrapper, all policies inside it', async () => {
    spans.length = 0;
    const controller = app.get(StackController);
    const before = controller.calls;
    await request(app.getHttpServer()).get('/stack/spanned').expect(200, 'ok');
    expect(controller.calls - before).toBe(2);
    expect(spans).toEqual(['spanned']);
    expect(app.get(ResilienceService).breakerState('spanned')).toBe('closed');
  });

  it('stacks with @Cron: the job is registered and its ticks run through the policies', async () => {
    const job = app.get(SchedulerRegistry).getCronJob('yearly');
    await job.fireOnTick();
    await new Promise<void>((resolve) => {
      const check = () => (app.get(Jobs).ticks === 2 ? resolve() : setImmediate(check));
      check();
    });
    expect(app.get(Jobs).ticks).toBe(2);
  });

  it('runs functions under a named policy without decorators, handing them the attempt signal', async () => {
    const resilience = app.get(ResilienceService);
    let attempts = 0;
    const signals: Array<AbortSignal | undefined> = [];
    await expect(
      resilience.execute('flaky', (signal) => {
        signals.push(signal);
        if (++attempts === 1) return Promise.reject(new HttpError(503));
        return Promise.resolve('done');
      }),
    ).resolves.toBe('done');
    expect(signals).toHaveLength(2);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(signals[0]).not.toBe(signals[1]);
    await expect(resilience.execute('nope', () => 1)).rejects.toThrow('No resilience policy named "nope"');
  });

  it('exports breaker state, calls and retries as metrics', async () => {
    const text = await app.get(MetricsService).registry.metrics();
    expect(text).toMatch(/t_circuit_breaker_state\{breaker="canonical"\} 1/);
    expect(text).toMatch(/t_circuit_breaker_calls_total\{breaker="canonical",result="rejected"\} 1/);
    expect(text).toMatch(/t_circuit_breaker_calls_total\{breaker="canonical",result="fallback"\} 2/);
    expect(text).toMatch(/t_circuit_breaker_calls_total\{breaker="canonical",result="timeout"\} 1/);
    expect(text).toMatch(/t_retry_attempts_total\{operation="CanonicalOrder.get"\} 3/);
  });

  it('reports open breakers as a non-critical readiness check', async () => {
    const check = registeredChecks.find((c) => c.name === 'circuit-breakers')!;
    expect(check.critical).toBe(false);
    expect(await check.check()).toEqual({
      'circuit-breakers': { status: 'down', open: ['canonical', 'reversed'], halfOpen: [] },
    });
  });
});

describe('ResilienceModule start-up validation', () => {
  /** The error `app.init()` rejects with, for an app with `providers` and `ResilienceModule.forRoot(options)`. */
  async function startUpError(providers: Provider[], options: ResilienceModuleOptions = {}): Promise<unknown> {
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot(options)],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    await app.close();
    return error;
  }

  it('fails start-up with a message naming the method, the decorator and the option', async () => {
    @Injectable()
    class Misconfigured {
      @Retry({ maxAttempts: 0 })
      run(): void {}
    }
    const error = await startUpError([Misconfigured]);
    expect(isInvalidOption(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Misconfigured.run @Retry: option "maxAttempts" is 0; it must be an integer from 1 to 100.',
    );
  });

  const policies = { upstream: { retry: {}, circuitBreaker: {}, timeout: { ms: 100 } } };
  it.each([
    [
      '@Retry',
      Retry('upstrem'),
      'it must be one of the policies of ResilienceModule.forRoot({ policies }) that define retry: "upstream"',
    ],
    [
      '@CircuitBreaker',
      CircuitBreaker('upstrem'),
      'it must be one of the policies of ResilienceModule.forRoot({ policies }) that define circuitBreaker: "upstream"',
    ],
    [
      '@CallTimeout',
      CallTimeout('upstrem'),
      'it must be one of the policies of ResilienceModule.forRoot({ policies }) that define timeout: "upstream"',
    ],
    [
      '@Bulkhead',
      Bulkhead('upstrem'),
      'no policy of ResilienceModule.forRoot({ policies }) defines bulkhead; add { "upstrem": { bulkhead: ... } } or give options',
    ],
  ])(
    'fails start-up on a misspelled policy name in %s, listing the policies that fit',
    async (name, decorator, allowed) => {
      @Injectable()
      class Misspelled {
        run(): void {}
      }
      // What `@decorator` on `run` compiles to.
      const descriptor = Object.getOwnPropertyDescriptor(Misspelled.prototype, 'run')!;
      decorator(Misspelled.prototype, 'run', descriptor);
      Object.defineProperty(Misspelled.prototype, 'run', descriptor);
      const error = await startUpError([Misspelled], { policies });
      expect(isInvalidOption(error)).toBe(true);
      expect((error as Error).message).toBe(`Misspelled.run ${name}: option "policy" is "upstrem"; ${allowed}.`);
    },
  );

  it('fails start-up when @Fallback names a method the instance does not have', async () => {
    @Injectable()
    class NoHandler {
      @Fallback('fromCahce')
      run(): void {}
      fromCache(): void {}
    }
    const error = await startUpError([NoHandler]);
    expect(isInvalidOption(error)).toBe(true);
    expect((error as Error).message).toBe(
      'NoHandler.run @Fallback: option "handler" is "fromCahce"; it must name a method of NoHandler.',
    );
  });

  it('fails start-up on a decorated request-scoped provider, whose state would last one request', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Retry()
      run(): void {}
    }
    const error = await startUpError([PerRequest]);
    expect((error as Error).message).toBe(
      'PerRequest.run is request-scoped (it or a dependency uses Scope.REQUEST), so its resilience state (breaker, retry budget, bulkhead) would last one request; move the decorated method to a singleton provider and inject that.',
    );
  });

  it('refuses a decorator written twice on one method', () => {
    expect(() => {
      class Twice {
        @Retry()
        @Retry()
        run(): void {}
      }
      return Twice;
    }).toThrow('@Retry appears twice on Twice.run; keep one.');
  });
});
