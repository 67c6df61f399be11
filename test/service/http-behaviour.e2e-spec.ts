import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ADAPTERS, createTestApp } from './app-under-test';

describe.each(ADAPTERS)('HTTP behaviour on %s', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTestApp(adapter);
  });
  afterAll(() => app.close());

  it('answers unknown routes with 404 JSON', async () => {
    const response = await request(app.getHttpServer()).get('/no/such/route').expect(404);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body).toMatchObject({ statusCode: 404 });
  });

  it('answers a bad body with 400 naming the field', async () => {
    const tooLong = await request(app.getHttpServer())
      .post('/organizations')
      .send({ name: 'x'.repeat(201) })
      .expect(400);
    expect(JSON.stringify(tooLong.body)).toMatch(/name must be shorter than or equal to 200 characters/);
    const missing = await request(app.getHttpServer()).post('/organizations').send({}).expect(400);
    expect(JSON.stringify(missing.body)).toMatch(/name must be a string/);
    const unknown = await request(app.getHttpServer())
      .post('/organizations')
      .send({ name: 'a', admin: true })
      .expect(400);
    expect(JSON.stringify(unknown.body)).toMatch(/property admin should not exist/);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await request(app.getHttpServer())
      .post('/organizations')
      .set('content-type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(response.body.statusCode).toBe(400);
  });

  it('answers a body over 1 MiB with 413', async () => {
    const response = await request(app.getHttpServer())
      .post('/organizations')
      .send({ name: 'x'.repeat(1024 * 1024 + 1) })
      .expect(413);
    expect(response.body.statusCode).toBe(413);
  });

  it('answers 503 on the organizations API while MongoDB is unreachable', async () => {
    const created = await request(app.getHttpServer()).post('/organizations').send({ name: 'Acme' }).expect(503);
    expect(created.body).toEqual({
      statusCode: 503,
      error: 'database unavailable',
      message: 'MongoDB cannot be reached; retry later.',
    });
    await request(app.getHttpServer()).get('/organizations/0000000000001').expect(503);
  });

  it('answers 400 for a malformed organization id', async () => {
    await request(app.getHttpServer()).get('/organizations/not-an-id').expect(400);
  });

  it('sends security headers and no stack trace in any error body', async () => {
    const response = await request(app.getHttpServer()).get('/nope');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBeDefined();
    expect(response.headers['x-powered-by']).toBeUndefined();
    for (const body of [response.text, (await request(app.getHttpServer()).post('/organizations').send('{')).text]) {
      expect(body).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
    }
  });

  it('returns the caller’s x-request-id, or a generated one', async () => {
    const echoed = await request(app.getHttpServer()).get('/health/liveness').set('x-request-id', 'trace-42');
    expect(echoed.headers['x-request-id']).toBe('trace-42');
    const generated = await request(app.getHttpServer()).get('/health/liveness');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const unsafe of ['a b', 'x'.repeat(129), '<script>']) {
      const replaced = await request(app.getHttpServer()).get('/health/liveness').set('x-request-id', unsafe);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
