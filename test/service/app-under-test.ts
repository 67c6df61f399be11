import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../apps/enterprise-service/src/app.factory';
import { loadConfig } from '../../apps/enterprise-service/src/config/app-config';
import { UNREACHABLE_MONGODB_URI, UNREACHABLE_REDIS_URL } from '../support';

export const ADAPTERS = ['fastify', 'express'] as const;

/** The reference service in-process (for supertest), with the given adapter and environment; not listening. */
export async function createTestApp(
  adapter: (typeof ADAPTERS)[number],
  env: Record<string, string> = {},
): Promise<INestApplication> {
  const config = loadConfig({
    MONGODB_URI: UNREACHABLE_MONGODB_URI,
    REDIS_URL: UNREACHABLE_REDIS_URL,
    LOG_LEVEL: 'silent',
    ...env,
    HTTP_ADAPTER: adapter,
  });
  const app = await createApp(config);
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
