import { mongoAvailability, startMongo, startRedis, startService, waitFor } from '../support';
import { metricSamples } from '../support/metrics-text';
import { createOrganization } from '../service/organization-traffic';

const WRITES = 8;

const mongo = mongoAvailability();
const describeWithMongo = mongo.skipReason === undefined ? describe : describe.skip;

describeWithMongo('shutdown with a live MongoDB connection', () => {
  it('SIGTERM during writes: they finish, then the connection closes, then exit 0 with no error logged', async () => {
    const [db, redis] = await Promise.all([startMongo(), startRedis()]);
    const service = await startService({
      env: {
        MONGODB_URI: db.uri,
        REDIS_URL: redis.url,
        TSID_LEASE_TTL_MS: '1000',
        SHUTDOWN_TIMEOUT_MS: '20000',
        MONGODB_OPERATION_TIMEOUT_MS: '20000',
      },
      waitFor: '/health/readiness',
    });
    expect((await createOrganization(service.url, 'warm-up')).status).toBe(201);

    // Writes held in flight for certain: MongoDB stalls until the signal has been handled.
    db.pause();
    const writes = Array.from({ length: WRITES }, (_, i) => createOrganization(service.url, `in-flight-${i}`, 30_000));
    await waitFor(`${WRITES} writes in flight`, async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const inFlight = metricSamples(text, 'enterprise_service_http_requests_in_flight');
      return (inFlight.get('enterprise_service_http_requests_in_flight') ?? 0) >= WRITES;
    });
    service.signal('SIGTERM');
    const closed = await service.waitForLog(/Drain delay over/);
    db.resume();

    const answers = await Promise.all(writes);
    const exit = await service.waitForExit();
    const messages = service.logs().map((line) => String(line.msg));
    const order = ['Every in-flight request answered', 'MongoDB connection closed', 'Shutdown complete'].map((text) =>
      messages.findIndex((message) => message.startsWith(text)),
    );
    console.log(
      `shutdown with live MongoDB: ${closed.match(/\d+ request\(s\) in flight/)?.[0]} at listener close, ` +
        `answers ${answers.map((answer) => answer.status).join(',')}, exit ${JSON.stringify(exit)}`,
    );
    expect(closed).toContain(`${WRITES} request(s) in flight`);
    expect(answers.map((answer) => answer.status)).toEqual(Array(WRITES).fill(201));
    expect(exit).toEqual({ code: 0, signal: null });
    // In-flight writes answered, then the MongoDB connection closed, then the exit.
    expect(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]))).toBe(true);
    expect(service.logs().filter((line) => Number(line.level) >= 50)).toEqual([]);
    const ids = answers.map((answer) => String(answer.body!.id));
    expect(
      await db
        .client()
        .collection('organizations')
        .countDocuments({ _id: { $in: ids as never[] } }),
    ).toBe(WRITES);
  });
});
