// The `GET /demo/ping` servers the throughput and instruction benches compare, each a process of its own:
// `bare` Nest or components of the reference service (metrics-bench-app.ts), `typical:<LOG_LEVEL>` (the stack teams
// assemble today, typical-stack-app.ts), and `service:<LOG_LEVEL>[@<another build's main.js>]`, the built service on
// the live stack (live-stack.ts) with DEMO_ENDPOINTS=true.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort, SERVICE_MAIN } from '../test/support';
import type { LiveStack } from './live-stack';

export { SERVICE_MAIN };

const root = path.resolve(__dirname, '..');

export interface Candidate {
  child: ChildProcess;
  url: string;
}

export interface LaunchOptions {
  /** A command the server runs under, e.g. `['valgrind', '--tool=callgrind']`. */
  wrapper?: readonly string[];
  /** Node options placed before the script. */
  nodeArgs?: readonly string[];
  /** How long the service may take to answer (a server under valgrind starts ten times slower). */
  readyWithinMs?: number;
}

export function needsLiveStack(variants: readonly string[]): boolean {
  return variants.some((variant) => variant.startsWith('service:'));
}

export async function startCandidate(
  adapter: string,
  variant: string,
  stack: LiveStack | undefined,
  options: LaunchOptions = {},
): Promise<Candidate> {
  const launch = (args: string[], stdio: ('ignore' | 'inherit' | 'ipc')[], env: NodeJS.ProcessEnv): ChildProcess => {
    const [command, ...wrapperArgs] = [...(options.wrapper ?? []), process.execPath];
    return spawn(command, [...wrapperArgs, ...(options.nodeArgs ?? []), ...args], { cwd: root, stdio, env });
  };
  if (variant.startsWith('service:')) {
    if (!stack) throw new Error(`${variant} needs the live stack`);
    const [logLevel, main = SERVICE_MAIN] = variant.slice('service:'.length).split('@');
    const port = await freePort();
    const child = launch([path.resolve(root, main)], ['ignore', 'ignore', 'inherit'], {
      ...process.env,
      PORT: String(port),
      HTTP_ADAPTER: adapter,
      DEMO_ENDPOINTS: 'true',
      LOG_LEVEL: logLevel,
      TSID_NODE_ID: '1',
      MONGODB_URI: stack.mongo.uri,
      REDIS_URL: stack.redis.url,
    });
    return {
      child,
      url: await answering(child, `http://127.0.0.1:${port}/demo/ping`, options.readyWithinMs ?? 30_000),
    };
  }
  // Log lines go to /dev/null, as the service's do; the port comes back over IPC.
  const env = variant.startsWith('typical:') ? { ...process.env, BENCH_LOG_LEVEL: variant.slice(8) } : process.env;
  const child = launch(
    ['-r', path.join(__dirname, 'register.js'), path.join(__dirname, 'ping-server.ts'), adapter, variant],
    ['ignore', 'ignore', 'inherit', 'ipc'],
    env,
  );
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }: { port: number }) =>
      resolve({ child, url: `http://127.0.0.1:${port}/demo/ping` }),
    );
    child.once('exit', (code) => reject(new Error(`${adapter}/${variant} server exited with ${code}`)));
  });
}

async function answering(child: ChildProcess, url: string, withinMs: number): Promise<string> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`${url}: the service exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not answer ${url} within ${withinMs / 1000} s`);
}
