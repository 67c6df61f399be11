import { join } from 'node:path';
import { spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { ServiceProcess } from './service-process';

/** The SWC require hook the benchmarks use: TypeScript with decorators and the `@nestjs-reliability/*` aliases. */
const REGISTER = join(__dirname, '..', '..', 'bench', 'register.js');

/**
 * Runs a TypeScript script (e.g. a minimal Nest app built from libs/) as a real child process with `PORT` set to
 * a free port (unless given), without a build step. Killed after the test file like every tracked process.
 */
export async function startTsScript(path: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawnTracked(process.execPath, ['-r', REGISTER, path], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port) },
  });
  return new ServiceProcess(child, port);
}
