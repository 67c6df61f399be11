import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

export interface RunningApp {
  app: INestApplication;
  url: string;
  /** GET a path; the body is parsed as JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- probe bodies are asserted field by field
  get(path: string): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

const running = new Set<RunningApp>();

/** A real Nest application listening on 127.0.0.1, port 0; closed after the test file even when a test throws. */
export async function startApp(
  adapter: AdapterName,
  metadata: ModuleMetadata,
  beforeListen?: (app: INestApplication) => void,
): Promise<RunningApp> {
  @Module(metadata)
  class TestAppModule {}

  const app = await NestFactory.create(
    TestAppModule,
    adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false, abortOnError: false },
  );
  beforeListen?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  let closed = false;
  const handle: RunningApp = {
    app,
    url,
    async get(path) {
      const response = await fetch(url + path);
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text), text, headers: response.headers };
    },
    async close() {
      running.delete(handle);
      if (!closed) await app.close();
      closed = true;
    },
  };
  running.add(handle);
  return handle;
}

afterAll(() => Promise.all([...running].map((app) => app.close())));
