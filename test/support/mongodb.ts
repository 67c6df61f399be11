import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/**
 * MongoDB for the Mongo-backed tests, as real processes.
 *
 * - Without `MONGODB_URI`: FerretDB (the version pinned by `test/support/ferretdb/go.mod`, SQLite backend), one
 *   process and one data directory per `startMongo()`. `.ci/run` builds it once into a cache directory
 *   (`test/support/ferretdb/build.sh`) and passes its path in `FERRETDB_BIN`; the e2e global setup builds it when
 *   a Go toolchain is found.
 * - With `MONGODB_URI` (one host: a standalone or a primary): each `startMongo()` gets a database of its own there,
 *   reached through a TCP proxy on a free port that the test can cut (`kill`), reopen (`restart`) or stall
 *   (`pause`), since the test does not own that server's process.
 *
 * What the tests use behaves alike on both: CRUD by `_id`, duplicate keys (code 11000), `ping`, `count`
 * (`estimatedDocumentCount`). Where FerretDB 1.24 differs for something we use:
 * - It answers `hello` as a standalone (no `setName`, sessions advertised), so the driver never retries a write on it
 *   (`retryWrites`/`retryReads` act only on a replica set or sharded cluster; a standalone MongoDB behaves the same).
 * - It has no streaming `hello` (`topologyVersion`), so the driver polls it every heartbeat; MongoDB 4.4+ streams.
 *   Polling exposes a driver race (mongodb 7.8 and 7.9): when a reset connection marks the server unknown, the
 *   immediate check it requests can start on the monitor's socket after that socket was destroyed and before its
 *   'close' event; the check then never ends and the monitor never checks again, so the service would stay
 *   disconnected after the server came back. The service reopens its connection when a heartbeat never ends
 *   (`apps/enterprise-service/src/connections/heartbeat-watch.ts`). Cutting every socket at once (`kill()` of the
 *   proxy below) hit it in about one outage in three; a streaming monitor's pending read fails with its socket instead.
 * - `estimatedDocumentCount` is exact on FerretDB; on MongoDB it is read from collection metadata and can drift
 *   after an unclean shutdown. Tests compare the gauge with `countDocuments` only when nothing was cut.
 * - `kill()` / `pause()` are signals to FerretDB (SIGKILL, SIGSTOP) and proxy cuts / stalls for a `MONGODB_URI`:
 *   either way the service sees its sockets reset, or accepted and never answered.
 */
export interface MongoServer {
  readonly kind: 'ferretdb' | 'mongodb';
  /** Connection string of this server's own database. */
  readonly uri: string;
  /** Graceful stop; removes the data (FerretDB's directory or the external database). */
  stop(): Promise<void>;
  /** A crash: every connection is cut and new ones are refused; the data stays. */
  kill(): Promise<void>;
  /** After a crash or on a live server: starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Starts again on the same port with no data. */
  wipe(): Promise<void>;
  /** Connections are accepted but nothing is answered (SIGSTOP for FerretDB) until `resume()`. */
  pause(): void;
  resume(): void;
  /** A client of the test's own on this server's database; closed by `stop()`. */
  client(): mongoose.mongo.Db;
}

const BUILD_SCRIPT = join(__dirname, 'ferretdb', 'build.sh');

export type MongoAvailability =
  | { kind: 'mongodb'; uri: string; skipReason?: undefined }
  | { kind: 'ferretdb'; binary: string; skipReason?: undefined }
  | { kind?: undefined; skipReason: string };

/**
 * Where Mongo-backed tests get MongoDB: `MONGODB_URI`, else the FerretDB binary (`FERRETDB_BIN` or the cached
 * build), built first when `build` is set and a Go toolchain exists. Otherwise a reason to skip; on CI (`CI` set)
 * there is no skipping, so that is an error.
 */
export function mongoAvailability({ build = false } = {}): MongoAvailability {
  if (process.env.MONGODB_URI) return { kind: 'mongodb', uri: process.env.MONGODB_URI };
  const run = spawnSync('bash', [BUILD_SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, ...(build ? {} : { FERRETDB_NO_BUILD: '1' }) },
    stdio: ['ignore', 'pipe', build ? 'inherit' : 'pipe'],
  });
  const binary = run.stdout?.trim().split('\n').pop();
  if (run.status === 0 && binary && existsSync(binary)) {
    process.env.FERRETDB_BIN = binary;
    return { kind: 'ferretdb', binary };
  }
  const reason =
    `MONGODB_URI is not set and FerretDB is not available (${(run.stderr ?? '').trim() || `exit ${run.status}`}); ` +
    'run `bash test/support/ferretdb/build.sh` (needs Go) or set MONGODB_URI';
  if (process.env.CI) throw new Error(`Mongo-backed tests cannot be skipped on CI: ${reason}`);
  return { skipReason: reason };
}

/** Starts MongoDB for a test or suite; it is stopped after the test file even when a test throws. */
export async function startMongo(): Promise<MongoServer> {
  const availability = mongoAvailability();
  if (availability.skipReason !== undefined) throw new Error(availability.skipReason);
  const server =
    availability.kind === 'ferretdb'
      ? await FerretDbServer.start(availability.binary)
      : await ProxiedMongoDb.start(availability.uri);
  started.add(server);
  return server;
}

/** Answers once `ping` succeeds on `uri`, with a short-lived client. */
async function pings(uri: string): Promise<boolean> {
  const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 500, directConnection: true });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close(true);
  }
}

abstract class ClientOwner {
  private readonly clients = new Set<mongoose.mongo.MongoClient>();
  abstract readonly uri: string;

  client(): mongoose.mongo.Db {
    // Fails fast while the server is down, so a read-back never hides an outage behind a long wait.
    const client = new mongoose.mongo.MongoClient(this.uri, { serverSelectionTimeoutMS: 2_000 });
    this.clients.add(client);
    return client.db();
  }

  protected async closeClients(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.close(true)));
    this.clients.clear();
  }
}

/** A FerretDB process on a free port with its SQLite data in a temporary directory. */
export class FerretDbServer extends ClientOwner implements MongoServer {
  readonly kind = 'ferretdb';
  private process: ChildProcess | undefined;
  private paused = false;
  private dir: string;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {
    super();
    this.dir = mkdtempSync(join(tmpdir(), 'ferretdb-test-'));
  }

  static async start(binary: string): Promise<FerretDbServer> {
    const server = new FerretDbServer(binary, await freePort());
    await server.launch();
    return server;
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/enterprise`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  async stop(): Promise<void> {
    await this.closeClients();
    this.resume();
    if (this.process) await killAndWait(this.process, 'SIGTERM');
    this.process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    if (this.process) await killAndWait(this.process);
    this.process = undefined;
    this.paused = false;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async wipe(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = mkdtempSync(join(tmpdir(), 'ferretdb-test-'));
    await this.launch();
  }

  pause(): void {
    this.process?.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.paused) this.process?.kill('SIGCONT');
    this.paused = false;
  }

  private async launch(): Promise<void> {
    const child = spawnTracked(
      this.binary,
      ['-listen-addr', `127.0.0.1:${this.port}`, '-sqlite-url', `file:${this.dir}/`, '-log-level', 'error'],
      {},
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.process = child;
    await waitFor(`FerretDB on port ${this.port} to answer ping (output: ${output.slice(-500)})`, async () => {
      if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}: ${output.slice(-500)}`);
      return pings(this.uri);
    });
  }
}

/**
 * A database of its own on the MongoDB that `MONGODB_URI` names, behind a TCP proxy that stands in for the process
 * the test cannot signal: `kill()` cuts every connection and stops listening, `pause()` stops relaying bytes.
 */
export class ProxiedMongoDb extends ClientOwner implements MongoServer {
  readonly kind = 'mongodb';
  private listener: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private paused = false;
  private database: string;

  private constructor(
    private readonly target: URL,
    readonly port: number,
  ) {
    super();
    this.database = `nr_test_${randomBytes(4).toString('hex')}`;
  }

  static async start(uri: string): Promise<ProxiedMongoDb> {
    const target = new URL(uri);
    if (target.protocol !== 'mongodb:' || target.host.includes(',')) {
      throw new Error(
        'MONGODB_URI must be a mongodb:// URI naming one host (a standalone or a primary) for these tests',
      );
    }
    const server = new ProxiedMongoDb(target, await freePort());
    await server.listen();
    return server;
  }

  get uri(): string {
    const uri = new URL(this.target.href);
    uri.host = `127.0.0.1:${this.port}`;
    uri.pathname = `/${this.database}`;
    uri.searchParams.set('directConnection', 'true');
    return uri.href;
  }

  async stop(): Promise<void> {
    this.resume();
    await this.dropDatabase();
    await this.closeClients();
    await this.kill();
  }

  async kill(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.paused = false;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await new Promise((resolve) => listener.close(resolve));
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.listen();
  }

  async wipe(): Promise<void> {
    await this.kill();
    await this.dropDatabase();
    await this.listen();
  }

  pause(): void {
    this.paused = true;
    for (const pair of this.pairs) for (const socket of pair) socket.pause();
  }

  resume(): void {
    this.paused = false;
    for (const pair of this.pairs) for (const socket of pair) socket.resume();
  }

  private async dropDatabase(): Promise<void> {
    const direct = new URL(this.target.href);
    direct.pathname = `/${this.database}`;
    const client = new mongoose.mongo.MongoClient(direct.href, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.db().dropDatabase();
    } finally {
      await client.close(true);
    }
  }

  private async listen(): Promise<void> {
    const listener = createServer((socket) => {
      const upstream = connect(Number(this.target.port || 27017), this.target.hostname);
      const pair: [Socket, Socket] = [socket, upstream];
      this.pairs.add(pair);
      for (const end of pair) {
        end.on('error', () => undefined);
        end.once('close', () => {
          this.pairs.delete(pair);
          socket.destroy();
          upstream.destroy();
        });
        if (this.paused) end.pause();
      }
      // Plain 'data' relays rather than pipe(): pipe() would resume a paused socket when the other end drains.
      socket.on('data', (chunk: Buffer) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => socket.write(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.port, '127.0.0.1', resolve);
    });
    this.listener = listener;
    await waitFor(`MongoDB to answer ping through the proxy on port ${this.port}`, () => pings(this.uri));
  }
}

const started = new Set<MongoServer>();

// Registered once per test file that imports the harness (jest gives each file its own module registry).
if (typeof afterAll === 'function') afterAll(() => Promise.all([...started].map((server) => server.stop())));
