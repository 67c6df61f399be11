import { TsidCodec } from '@nestjs-reliability/tsid';
import { type RedisServer, type ServiceProcess, startRedis, startService } from '../support';

const codec = new TsidCodec({ nodeBits: 4 });

describe.each(['fastify', 'express'])('/ids on %s', (adapter) => {
  let redis: RedisServer;
  let leased: ServiceProcess;

  beforeAll(async () => {
    redis = await startRedis();
    leased = await startService({
      env: {
        HTTP_ADAPTER: adapter,
        REDIS_URL: redis.url,
        TSID_NODE_BITS: '4',
        TSID_LEASE_TTL_MS: '1000',
        TSID_MAX_CLOCK_SKEW_MS: '0',
      },
    });
    await leased.waitForStatus('/ids', 200);
  });

  const get = async (service: ServiceProcess, path: string) => {
    const response = await fetch(service.url + path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('issues one ID by default and up to 1000, strictly increasing, with the leased node ID', async () => {
    const one = await get(leased, '/ids');
    expect(one).toEqual({ status: 200, body: { ids: [expect.stringMatching(/^[0-9A-F][0-9A-HJKMNP-TV-Z]{12}$/)] } });
    const many = await get(leased, '/ids?count=1000');
    const ids = many.body.ids as string[];
    expect(ids).toHaveLength(1000);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    const nodeId = Number((await redis.client().keys('sys:tsid:node:*'))[0].split(':').at(-1));
    expect(new Set(ids.map((id) => codec.decode(id).nodeId))).toEqual(new Set([nodeId]));
  });

  it.each(['0', '1001', 'abc', '1.5', '-1', ''])('answers 400 for count=%s', async (count) => {
    const { status, body } = await get(leased, `/ids?count=${count}`);
    expect(status).toBe(400);
    expect(body.message).toMatch(/^count must be an integer from 1 to 1000/);
  });

  it('decodes an ID, accepting lower case and Crockford aliases', async () => {
    const [id] = (await get(leased, '/ids')).body.ids as string[];
    const { timestamp, nodeId, counter } = codec.decode(id);
    const expected = { id, timestamp: new Date(timestamp).toISOString(), nodeId, counter };
    expect(await get(leased, `/ids/${id}`)).toEqual({ status: 200, body: expected });
    expect(await get(leased, `/ids/${id.toLowerCase().replaceAll('1', 'l').replaceAll('0', 'o')}`)).toEqual({
      status: 200,
      body: expected,
    });
  });

  it.each(['0123456789ABU', 'short', 'G000000000000', '0123456789ABCD'])(
    'answers 400 for the malformed id %s',
    async (id) => {
      const { status, body } = await get(leased, `/ids/${id}`);
      expect(status).toBe(400);
      expect(body.message).toMatch(/is not a TSID: /);
    },
  );

  it('answers 503 while no node ID can be leased (Redis unreachable), and serves at once with a static node ID', async () => {
    const noRedis = await startService({ env: { HTTP_ADAPTER: adapter } });
    const { status, body } = await get(noRedis, '/ids');
    expect(status).toBe(503);
    expect(body.message).toBe('No TSID can be issued: no node ID has been assigned yet.');
    const fixed = await startService({ env: { HTTP_ADAPTER: adapter, TSID_NODE_ID: '7', TSID_NODE_BITS: '4' } });
    const [id] = (await get(fixed, '/ids')).body.ids as string[];
    expect(codec.decode(id).nodeId).toBe(7);
    await Promise.all([noRedis.kill(), fixed.kill()]);
  });
});
