import { FakeUpstream } from '../resilience/fake-upstream';
import { startService, type ServiceProcess } from '../support';
import { rawGet } from '../support/raw-get';
import { openSocket, parseResponses, rawExchange, readUntilClosed } from '../support/raw-http';

const REQUEST_TIMEOUT_MS = 1_000;
/** Node checks its request timeouts every REQUEST_TIMEOUT_MS / 4; anything slower than this is a hang. */
const CUT_WITHIN_MS = 3 * REQUEST_TIMEOUT_MS;
const STACK_FRAME = /\bat .+:\d+:\d+/;

/** The built service as a real process, driven by clients that do what a browser never would. */
describe.each(['fastify', 'express'])('hostile clients on %s', (adapter) => {
  let upstream: FakeUpstream;
  let service: ServiceProcess;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    service = await startService({
      env: {
        HTTP_ADAPTER: adapter,
        // Behind a base path: a `..` must not climb out of it either.
        UPSTREAM_URL: `${upstream.url}/base`,
        TSID_NODE_ID: '1',
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await service.kill();
    await upstream.stop();
  });

  const post = async (body: string | Uint8Array, contentType?: string) => {
    const response = await fetch(`${service.url}/organizations`, {
      method: 'POST',
      body,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text };
  };

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('never lets a dot segment in /directory/:key reach the upstream as anything but /directory/<key>', async () => {
    // Control: an ordinary key reaches the upstream, so an empty list below means nothing was sent.
    expect((await rawGet(service.port, '/directory/ok')).status).toBe(200);
    expect(upstream.paths).toEqual(['/base/directory/ok']);
    for (const key of ['..', '%2e%2e', '.%2e', '%2E.', '.', '%2e']) {
      const answer = await rawGet(service.port, `/directory/${key}`);
      expect({ key, status: answer.status }).toEqual({ key, status: 400 });
      expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 400 });
    }
    expect(upstream.paths).toEqual(['/base/directory/ok']);
  });

  it('answers deeply nested JSON with 400, logs no error and counts no server error', async () => {
    const serverErrors = await metric('enterprise_service_errors_total\\{type="server_error"\\}');
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const answer = await post(deep, 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 400, message: 'JSON nested deeper than 32 levels' });
    // Nested as deep as is reasonable is still parsed, and then validated.
    const reasonable = await post(`{"name": ${'['.repeat(30)}${']'.repeat(30)}}`, 'application/json');
    expect(reasonable.text).toMatch(/name must be a string/);
    expect(await metric('enterprise_service_errors_total\\{type="server_error"\\}')).toBe(serverErrors);
    const requestErrors = service
      .logs()
      .filter((line) => 'reqId' in line && (Number(line.level) >= 50 || /stack/i.test(JSON.stringify(line))));
    expect(requestErrors).toEqual([]);
  });

  it('takes JSON bodies only: 415 for any other content type, 400 for a charset or syntax it cannot read', async () => {
    const cases: Array<[string | Uint8Array, string | undefined, number]> = [
      ['name=Acme', 'application/x-www-form-urlencoded', 415],
      ['{"name":"Acme"}', 'text/plain', 415],
      [
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAcme\r\n--x--',
        'multipart/form-data; boundary=x',
        415,
      ],
      [new TextEncoder().encode('{"name":"Acme"}'), undefined, 415],
      ['{"name":"Acme"}', 'application/json; charset=latin1', 400],
      ['{"name":"Acme"}', 'application/json; charset="utf-16"', 400],
      ['{"name": ', 'application/json', 400],
      ['', 'application/json', 400],
    ];
    for (const [body, contentType, status] of cases) {
      const answer = await post(body, contentType);
      expect({ contentType, status: answer.status }).toEqual({ contentType, status });
      expect(answer.type).toMatch(/^application\/json/);
      expect(JSON.parse(answer.text)).toMatchObject({ statusCode: status });
      expect(answer.text).not.toMatch(STACK_FRAME);
    }
    // Control: JSON in UTF-8 reaches validation (and the database, which is down here).
    expect((await post('{"name":"Acme"}', 'application/json; charset=UTF-8')).status).toBe(503);
  });

  it('answers 400 for an over-long TSID, without echoing the URL', async () => {
    const id = '0'.repeat(101);
    const answer = await rawGet(service.port, `/ids/${id}`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 400 });
    expect(answer.body).not.toContain(id);
  });

  it('answers 408 and closes a request whose body or headers never finish, and counts it', async () => {
    const before = await metric('enterprise_service_http_request_timeouts_total');
    const slowBody =
      'POST /organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na';
    const slowHeaders = 'GET /ids HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    for (const request of [slowBody, slowHeaders]) {
      const [answer] = parseResponses(await rawExchange(service.port, request, CUT_WITHIN_MS));
      // Closing without an answer is allowed; an answer must be a JSON 408.
      if (answer !== undefined) {
        expect(answer.status).toBe(408);
        expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 408 });
      }
    }
    expect(await metric('enterprise_service_http_request_timeouts_total')).toBe(before + 2);
  });
});

/** What a slow pipelining client gets when the service shuts down mid-stream. */
describe.each(['fastify', 'express'])('shutdown under a slow pipelining client on %s', (adapter) => {
  it('delivers every response accepted before the signal, completely, and exits 0 (or counts them as cut: 70)', async () => {
    const service = await startService({
      env: { HTTP_ADAPTER: adapter, TSID_NODE_ID: '1', SHUTDOWN_DRAIN_DELAY_MS: '0' },
    });
    const socket = await openSocket(service.port);
    const received = readUntilClosed(socket);
    socket.pause();
    const pipelined = 400;
    socket.write('GET /ids?count=1000 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(pipelined));
    // The service has accepted the requests once it has answered the first (its access log says so).
    await service.waitForLog(/"url":"\/ids\?count=1000".*"request completed"/);
    service.signal('SIGTERM');
    await service.waitForLog(/Shutdown started/);
    // A slow reader: one chunk at a time, each after a pause.
    socket.on('data', () => {
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    socket.resume();
    const responses = parseResponses(await received);
    const { code } = await service.waitForExit();
    const delivered = responses.filter((response) => response.status === 200 && response.complete).length;
    if (code === 0) {
      expect(delivered).toBe(pipelined);
      expect(service.output().stdout).toMatch(/Every in-flight request answered/);
    } else {
      expect({ code, delivered }).toEqual({ code: 70, delivered });
    }
  });
});
