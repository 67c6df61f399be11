import {
  Body,
  type CanActivate,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  Param,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IsString, Length } from 'class-validator';
import { MetricsModule, type MetricsModuleOptions } from '@nestjs-reliability/metrics';

export type AdapterName = 'express' | 'fastify';

class CreateOrganizationDto {
  @IsString()
  @Length(1, 200)
  name!: string;
}

@Controller('organizations')
class OrganizationsController {
  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }

  /** Answers after `ms` milliseconds. */
  @Get('slow/:ms')
  async slow(@Param('ms') ms: string): Promise<{ ok: true }> {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { ok: true };
  }

  @Get(':id')
  find(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Post()
  create(@Body() body: CreateOrganizationDto): { name: string } {
    return { name: body.name };
  }
}

/** A global guard that lets a request through only when it carries `x-allow`: the metrics route must not need it. */
@Injectable()
class AllowHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers['x-allow'] !== undefined;
  }
}

@Module({})
class TestAppModule implements NestModule {
  // Nest turns middleware for all routes into an Express route (`/{*path}`): it must not leak into the route label.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply((_request: unknown, _response: unknown, next: () => void) => next()).forRoutes('*');
  }

  static with(options: MetricsModuleOptions): DynamicModule {
    return {
      module: TestAppModule,
      imports: [MetricsModule.forRoot(options)],
      controllers: [OrganizationsController],
      providers: [{ provide: APP_GUARD, useClass: AllowHeaderGuard }],
    };
  }
}

/** A listening app on 127.0.0.1 with a global prefix `api`, a validation pipe and a deny-by-default global guard. */
export async function startTestApp(
  adapter: AdapterName,
  options: MetricsModuleOptions = {},
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(
    TestAppModule.with({ prefix: 'test_', ...options }),
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
