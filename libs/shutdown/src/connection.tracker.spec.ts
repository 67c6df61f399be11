import { Agent, createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { rawGet } from '../../../test/support/raw-get';
import { ConnectionTracker } from './connection.tracker';

/** A plain Node server: `/hold` answers when the test releases it, anything else 404 at once. */
async function startServer(): Promise<{
  server: Server;
  port: number;
  tracker: ConnectionTracker;
  held: ServerResponse[];
}> {
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.writeHead(404).end('not found');
  });
  const tracker = new ConnectionTracker(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, tracker, held };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('ConnectionTracker', () => {
  let server: Server;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('counts a request from arrival until its response closes, also one answered 404 at once', async () => {
    const started = await startServer();
    server = started.server;
    const hold = rawGet(started.port, '/hold');
    await until(() => started.held.length === 1);
    expect(started.tracker.inFlight).toBe(1);

    expect((await rawGet(started.port, '/missing')).status).toBe(404);
    expect(started.tracker.inFlight).toBe(1);

    started.held[0].end('done');
    expect((await hold).body).toBe('done');
    await until(() => started.tracker.inFlight === 0);
  });

  it('answers a request arriving on a connection accepted just before the listener closed, then closes it', async () => {
    const started = await startServer();
    server = started.server;
    const socket = connect(started.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await until(() => started.tracker.connections === 1);
    expect(started.tracker.closeListener()).toEqual({ idleClosed: 0, busy: 0, inFlight: 0 });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET /missing HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 404 [\s\S]*connection: close/i);
  });

  it('marks every response Connection: close once draining starts, so keep-alive clients reconnect elsewhere', async () => {
    const started = await startServer();
    server = started.server;
    const agent = new Agent({ keepAlive: true });
    expect((await rawGet(started.port, '/missing', agent)).connection).toBe('keep-alive');
    started.tracker.startDraining();
    expect((await rawGet(started.port, '/missing', agent)).connection).toBe('close');
    agent.destroy();
  });

  it('closes idle keep-alive connections with the listener, and busy ones right after their response', async () => {
    const started = await startServer();
    server = started.server;
    const agent = new Agent({ keepAlive: true });
    const otherAgent = new Agent({ keepAlive: true });
    const idle = (await rawGet(started.port, '/missing', agent)).socket;
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const busy = rawGet(started.port, '/hold', otherAgent);
    await until(() => started.held.length === 1);

    expect(started.tracker.closeListener()).toEqual({ idleClosed: 1, busy: 1, inFlight: 1 });
    await idleClosed;
    await expect(rawGet(started.port, '/missing')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    started.held[0].end('late');
    const answer = await busy;
    expect(answer).toMatchObject({ status: 200, body: 'late', connection: 'close' });
    await new Promise((resolve) => (answer.socket.destroyed ? resolve(null) : answer.socket.once('close', resolve)));
    expect(started.tracker.connections).toBe(0);
    agent.destroy();
    otherAgent.destroy();
  });

  it('ends a connection whose keep-alive headers went out before the listener closed, once it is answered', async () => {
    const started = await startServer();
    server = started.server;
    const agent = new Agent({ keepAlive: true });
    const streaming = rawGet(started.port, '/hold', agent);
    await until(() => started.held.length === 1);
    started.held[0].writeHead(200, { 'content-type': 'text/plain' });
    started.held[0].write('part 1, ');
    await until(() => started.held[0].headersSent);

    started.tracker.closeListener();
    started.held[0].end('part 2');
    const answer = await streaming;
    expect(answer).toMatchObject({ body: 'part 1, part 2', connection: 'keep-alive' });
    await until(() => started.tracker.connections === 0);
    agent.destroy();
  });

  it('reports whether in-flight requests finished within the timeout, and cuts the rest on demand', async () => {
    const started = await startServer();
    server = started.server;
    await expect(started.tracker.waitForInFlight(10)).resolves.toBe(true);

    const first = rawGet(started.port, '/hold');
    const second = rawGet(started.port, '/hold');
    await until(() => started.held.length === 2);
    const finished = started.tracker.waitForInFlight(60_000);
    started.held[0].end();
    started.held[1].end();
    await expect(finished).resolves.toBe(true);
    await Promise.all([first, second]);

    const stuck = rawGet(started.port, '/hold');
    await until(() => started.held.length === 3);
    await expect(started.tracker.waitForInFlight(20)).resolves.toBe(false);
    expect(started.tracker.destroyAll()).toBe(1);
    await expect(stuck).rejects.toMatchObject({ code: 'ECONNRESET' });
    await until(() => started.tracker.inFlight === 0);
  });

  it('adopts a connection accepted before it was attached and stops counting once detached', async () => {
    const held: ServerResponse[] = [];
    server = createServer((_req, res) => held.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true });
    const first = rawGet(port, '/', agent);
    await until(() => held.length === 1);

    const tracker = new ConnectionTracker(server);
    held[0].end();
    await first;
    const second = rawGet(port, '/', agent);
    await until(() => held.length === 2);
    expect(tracker).toMatchObject({ inFlight: 1, connections: 1 });
    held[1].end();
    await second;

    tracker.detach();
    const third = rawGet(port, '/', agent);
    await until(() => held.length === 3);
    expect(tracker).toMatchObject({ inFlight: 0, connections: 0 });
    held[2].end();
    await third;
    agent.destroy();
  });
});
