import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { mongoTarget, waitFor } from '../support';
import { ADAPTERS, createTestApp } from './app-under-test';

const mongo = mongoTarget();
const describeWithMongo = mongo.uri ? describe : describe.skip;

// Skipped when no MongoDB can be had; the e2e global setup prints the reason once.
describeWithMongo.each(ADAPTERS)('organizations on a real MongoDB (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTestApp(adapter, { MONGODB_URI: mongo.uri!, TSID_NODE_ID: '1' });
    await waitFor('the organizations API to reach MongoDB', async () => {
      const response = await request(app.getHttpServer()).post('/organizations').send({ name: 'warm-up' });
      return response.status === 201;
    });
  });
  afterAll(() => app.close());

  it('creates an organization and reads it back by id', async () => {
    const created = await request(app.getHttpServer()).post('/organizations').send({ name: 'Acme' }).expect(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Acme' });
    const found = await request(app.getHttpServer()).get(`/organizations/${created.body.id}`).expect(200);
    expect(found.body).toMatchObject({ id: created.body.id, name: 'Acme' });
  });

  it('answers 404 for an id that does not exist', async () => {
    const created = await request(app.getHttpServer()).post('/organizations').send({ name: 'Gone' }).expect(201);
    const missing = created.body.id.slice(0, -1) + (created.body.id.endsWith('0') ? '1' : '0');
    await request(app.getHttpServer()).get(`/organizations/${missing}`).expect(404);
  });
});
