import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export const SERVICE_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'enterprise-service', 'main.js');

/** An address where nothing listens, so a dependency is "down" from the first moment. */
export const UNREACHABLE_MONGODB_URI = 'mongodb://127.0.0.1:9/enterprise?serverSelectionTimeoutMS=500';
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:9';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartServiceOptions {
  /** Environment on top of a quiet, dependency-free baseline (PORT is chosen unless given). */
  env?: Record<string, string | undefined>;
  /** Path that must answer 2xx before `startService` resolves; `null` to return at once. */
  waitFor?: string | null;
  timeoutMs?: number;
}

/** The built reference service (`dist/apps/enterprise-service/main.js`) running as a real child process. */
export class ServiceProcess {
  private stdout = '';
  private stderr = '';
  readonly exited: Promise<ExitResult>;

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything written so far: stdout (JSON log lines) and stderr. */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.stdout, stderr: this.stderr };
  }

  /** Parsed JSON log lines from stdout (non-JSON lines are skipped). */
  logs(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async waitForExit(timeoutMs = 30_000): Promise<ExitResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`service (pid ${this.pid}) did not exit within ${timeoutMs} ms\n${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(
      `log line matching ${pattern}`,
      () => this.stdout.split('\n').find((line) => pattern.test(line)),
      timeoutMs,
    );
  }

  async waitForStatus(path: string, status = 200, timeoutMs = 15_000): Promise<void> {
    try {
      await waitFor(
        `${path} to answer ${status} on port ${this.port}`,
        async () => {
          if (!this.isRunning) throw new Error(`the service exited with ${JSON.stringify(this.child.exitCode)}`);
          const response = await fetch(this.url + path, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          return response.status === status;
        },
        timeoutMs,
      );
    } catch (error) {
      // The output at the moment of failure is what explains it.
      throw new Error(`${(error as Error).message}\n${this.tail()}`);
    }
  }

  kill(): Promise<void> {
    return killAndWait(this.child);
  }

  private tail(): string {
    return `--- stdout (tail) ---\n${this.stdout.slice(-2000)}\n--- stderr (tail) ---\n${this.stderr.slice(-2000)}`;
  }
}

/**
 * Spawns the built service with `env` and waits for `waitFor` (default `/health/liveness`) to answer 200.
 * MongoDB and Redis default to unreachable addresses so a test states which dependencies it provides.
 */
export async function startService(options: StartServiceOptions = {}): Promise<ServiceProcess> {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} does not exist: run \`npm run build\` first (npm run test:e2e does).`);
  }
  const port = Number(options.env?.PORT ?? (await freePort()));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MONGODB_URI: UNREACHABLE_MONGODB_URI,
    REDIS_URL: UNREACHABLE_REDIS_URL,
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    ...options.env,
    PORT: String(port),
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawnTracked(process.execPath, [SERVICE_MAIN], { env });
  const service = new ServiceProcess(child, port);
  const path = options.waitFor === undefined ? '/health/liveness' : options.waitFor;
  if (path !== null) await service.waitForStatus(path, 200, options.timeoutMs ?? 15_000);
  return service;
}
