import {
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  Module,
  NotFoundException,
  Post,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsString } from 'class-validator';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createHttpApp } from '../../apps/enterprise-service/src/app.factory';
import type { LOG_LEVELS } from '../../apps/enterprise-service/src/config/app-config';
import { ADAPTERS } from './app-under-test';

type LogLine = Record<string, unknown> & { msg?: string; level: number };

class EchoDto {
  @IsString()
  name!: string;
}

/** Routes that log through Nest's `Logger` while serving, before and after awaiting, and routes that fail. */
@Controller()
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Get('work')
  async work(): Promise<{ ok: true }> {
    this.logger.log('started work');
    await nextTurn();
    this.logger.warn({ msg: 'finished work', items: 3 });
    return { ok: true };
  }

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoDto): EchoDto {
    this.logger.log(`echoing ${body.name}`);
    return body;
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('no such thing');
  }

  @Get('broken')
  broken(): never {
    throw new Error('kaput');
  }

  @Get('health/liveness')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('metrics')
  metrics(): string {
    return '';
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const probeModule: DynamicModule = { module: ProbeModule };

/** The service's HTTP set-up around the probe routes, with its log lines captured. */
async function probeApp(
  adapter: (typeof ADAPTERS)[number],
  logLevel: (typeof LOG_LEVELS)[number],
): Promise<{ app: INestApplication; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const destination: DestinationStream = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  const config = {
    httpAdapter: adapter,
    httpRequestTimeoutMs: 30_000,
    logLevel,
    service: { name: 'probe', version: '0.0.0' },
  };
  const app = await createHttpApp(probeModule, config, destination);
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, lines };
}

const completed = (lines: LogLine[]): LogLine[] => lines.filter((line) => line.msg === 'request completed');

describe.each(ADAPTERS)('request logging on %s', (adapter) => {
  describe('at LOG_LEVEL=info', () => {
    let app: INestApplication;
    let lines: LogLine[];

    beforeAll(async () => {
      ({ app, lines } = await probeApp(adapter, 'info'));
    });
    afterAll(() => app.close());
    beforeEach(() => lines.splice(0));

    it('binds the caller’s request id to every line written while serving, and to the access log line', async () => {
      const response = await request(app.getHttpServer()).get('/work').set('x-request-id', 'trace-1').expect(200);
      expect(response.headers['x-request-id']).toBe('trace-1');
      const mine = lines.filter((line) => line.reqId === 'trace-1');
      expect(mine.map((line) => line.msg)).toEqual(['started work', 'finished work', 'request completed']);
      expect(mine[0]).toMatchObject({ level: 30, context: 'Probe', service: 'probe', version: '0.0.0' });
      expect(mine[1]).toMatchObject({ level: 40, context: 'Probe', items: 3 });
      expect(mine[2]).toMatchObject({ level: 30, req: { method: 'GET', url: '/work' }, res: { statusCode: 200 } });
      expect(typeof mine[2].responseTime).toBe('number');
    });

    it('binds a generated request id, and keeps it across the parsing of a request body', async () => {
      const response = await request(app.getHttpServer()).post('/echo').send({ name: 'acme' }).expect(200);
      const id = response.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(lines.find((line) => line.msg === 'echoing acme')).toMatchObject({ reqId: id, context: 'Probe' });
    });

    it('replaces an unsafe request id with a generated one', async () => {
      const response = await request(app.getHttpServer()).get('/work').set('x-request-id', 'a"b\\c');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(lines)).not.toContain('a\\"b');
    });

    it('logs a 4xx at warn and a 5xx at error, without a synthetic error or stack on the access line', async () => {
      await request(app.getHttpServer()).get('/missing').set('x-request-id', 'r404').expect(404);
      await request(app.getHttpServer()).get('/no/such/route').set('x-request-id', 'unrouted').expect(404);
      await request(app.getHttpServer()).get('/broken').set('x-request-id', 'r500').expect(500);
      const [missing, unrouted, broken] = completed(lines);
      expect(missing).toMatchObject({ level: 40, reqId: 'r404', res: { statusCode: 404 } });
      expect(unrouted).toMatchObject({ level: 40, reqId: 'unrouted', req: { url: '/no/such/route' } });
      expect(broken).toMatchObject({ level: 50, reqId: 'r500', res: { statusCode: 500 } });
      expect(Object.keys(broken).sort()).toEqual(
        ['level', 'time', 'service', 'version', 'reqId', 'req', 'res', 'responseTime', 'msg'].sort(),
      );
      // Nest's exception handler logs the error itself (with its stack), bound to the request too.
      expect(lines.find((line) => line.context === 'ExceptionsHandler')).toMatchObject({
        level: 50,
        reqId: 'r500',
        err: { message: 'kaput' },
      });
    });

    it('does not access-log probes or metrics scrapes', async () => {
      await request(app.getHttpServer()).get('/health/liveness').expect(200);
      await request(app.getHttpServer()).get('/metrics').expect(200);
      await request(app.getHttpServer()).get('/work').expect(200);
      expect(completed(lines).map((line) => (line.req as { url: string }).url)).toEqual(['/work']);
    });

    it('never logs credentials the caller sent', async () => {
      await request(app.getHttpServer())
        .post('/echo')
        .set('authorization', 'Bearer s3cret-token')
        .set('cookie', 'session=s3cret-cookie')
        .set('x-api-key', 's3cret-key')
        .send({ name: 'x' })
        .expect(200);
      expect(completed(lines)).toHaveLength(1);
      expect(JSON.stringify(lines)).not.toMatch(/s3cret/);
    });

    it('sends a JSON API’s security headers on every response, and none of the HTML-only ones', async () => {
      for (const path of ['/work', '/no/such/route', '/broken']) {
        const headers = (await request(app.getHttpServer()).get(path)).headers;
        expect(securityHeaders(headers)).toEqual(API_SECURITY_HEADERS);
        expect(headers['x-powered-by']).toBeUndefined();
      }
    });
  });

  describe('at LOG_LEVEL=warn', () => {
    let app: INestApplication;
    let lines: LogLine[];

    beforeAll(async () => {
      ({ app, lines } = await probeApp(adapter, 'warn'));
    });
    afterAll(() => app.close());

    it('writes no access line for a success, keeps those of failures, and drops info lines', async () => {
      await request(app.getHttpServer()).get('/work').set('x-request-id', 'quiet').expect(200);
      await request(app.getHttpServer()).get('/missing').set('x-request-id', 'loud').expect(404);
      expect(lines.filter((line) => line.reqId === 'quiet').map((line) => line.msg)).toEqual(['finished work']);
      expect(completed(lines)).toEqual([expect.objectContaining({ level: 40, reqId: 'loud' })]);
    });
  });
});

/** OWASP's REST Security Cheat Sheet's headers for API responses, plus Cross-Origin-Resource-Policy. */
const API_SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** The response headers other than HTTP's own and the request id. */
function securityHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const own = new Set(['content-type', 'content-length', 'etag', 'date', 'connection', 'keep-alive', 'x-request-id']);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !own.has(name)));
}
