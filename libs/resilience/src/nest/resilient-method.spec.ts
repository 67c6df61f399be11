import { Inject, Injectable, Scope, type INestApplicationContext, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BrokenCircuitError, CircuitBreaker, ResilienceModule, ResilienceService, Retry } from '..';

/**
 * Two unrelated classes that are both called `Client`, as two modules (or a minifier) easily produce. Each answers
 * with its own tag and fails while `failing` is set.
 */
function clientClass(tag: string, breaker: { name?: string } = {}) {
  @Injectable()
  class Client {
    failing = false;

    @CircuitBreaker({ failureThreshold: 1, ...breaker })
    get(): Promise<string> {
      return this.failing ? Promise.reject(new Error(`${tag} is down`)) : Promise.resolve(tag);
    }
  }
  return Client;
}

async function appWith(...providers: Provider[]): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({})], providers }).compile();
  return moduleRef.createNestApplication({ logger: false }).init();
}

/** Fails one call of `client`, which opens its breaker (threshold 1), and checks that it did. */
async function openBreakerOf(client: { failing: boolean; get(): Promise<string> }): Promise<void> {
  client.failing = true;
  await expect(client.get()).rejects.toThrow('is down');
  client.failing = false;
  await expect(client.get()).rejects.toThrow(BrokenCircuitError);
}

describe('decorated methods are keyed by identity, not by "Class.method"', () => {
  it('gives two same-named classes their own breakers in one application', async () => {
    const [A, B] = [clientClass('a'), clientClass('b')];
    expect(A.name).toBe(B.name);
    const app = await appWith(A, B);
    await openBreakerOf(app.get(A));

    await expect(app.get(B).get()).resolves.toBe('b');
    await app.close();
  });

  it('runs each same-named class its own code outside DI', async () => {
    const [A, B] = [clientClass('a'), clientClass('b')];
    await expect(new A().get()).resolves.toBe('a');
    await expect(new B().get()).resolves.toBe('b');
  });

  it('shares no state between an application and instances it never discovered', async () => {
    const A = clientClass('a');
    const app = await appWith(A);
    await openBreakerOf(app.get(A));

    await expect(new A().get()).resolves.toBe('a');
    await app.close();
  });

  it('shares no state between two applications in one process', async () => {
    const A = clientClass('a');
    const [first, second] = [await appWith(A), await appWith(A)];
    await openBreakerOf(first.get(A));

    await expect(second.get(A).get()).resolves.toBe('a');
    await Promise.all([first.close(), second.close()]);
  });

  it('shares a breaker between same-named classes only when they name it explicitly', async () => {
    const [A, B] = [clientClass('a', { name: 'client' }), clientClass('b', { name: 'client' })];
    const app = await appWith(A, B);
    await openBreakerOf(app.get(A));

    await expect(app.get(B).get()).rejects.toThrow(BrokenCircuitError);
    expect(app.get(ResilienceService).breakerState('client')).toBe('open');
    await app.close();
  });

  it('labels same-named methods apart, for breaker state, metrics and logs', async () => {
    const [A, B] = [clientClass('a'), clientClass('b')];
    const app = await appWith(A, B);
    await openBreakerOf(app.get(A));

    const resilience = app.get(ResilienceService);
    expect([resilience.breakerState('Client.get'), resilience.breakerState('Client.get#2')].sort()).toEqual([
      'closed',
      'open',
    ]);
    await app.close();
  });

  it('binds transient instances to the application too', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    class Transient {
      @CircuitBreaker({ name: 'transient' })
      get(): string {
        return 'ok';
      }
    }
    @Injectable()
    class Consumer {
      constructor(@Inject(Transient) readonly dependency: Transient) {}
    }
    const app = await appWith(Transient, Consumer);

    await expect(app.get(Consumer).dependency.get()).resolves.toBe('ok');
    expect(app.get(ResilienceService).breakerState('transient')).toBe('closed');
    await app.close();
  });

  it('tells an instance outside DI that named policies need the module', () => {
    class Unbound {
      @Retry('upstream')
      get(): string {
        return 'ok';
      }
    }
    expect(() => new Unbound().get()).toThrow(
      'Unbound.get @Retry: option "policy" is "upstream"; named policies need an instance Nest created with ResilienceModule; outside DI give options instead.',
    );
  });
});
