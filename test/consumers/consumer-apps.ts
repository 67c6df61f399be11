import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, ServiceProcess } from '../support';
import { spawnTracked } from '../support/child-processes';

/**
 * Apps outside the repository that use the packages as a user would: the workspaces are built and packed from the
 * current source, each fixture under `fixtures/` is copied to a temp dir, its `"packed"` dependency specs become
 * `file:` paths to the tarballs (no workspace links), `npm install` fetches the rest from the registry (persistent
 * npm cache), `tsc` builds it and node runs `dist/main.js`.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures');
const run = promisify(execFile);

export interface PackedPackage {
  name: string;
  tarball: string;
  size: number;
  unpackedSize: number;
  dependencies: string[];
}

/**
 * The machine's environment (the registry's CA certificates, proxies) without the variables `npm test` sets for
 * this repository (npm_config_*, npm_package_*, INIT_CWD), so npm and the apps act as in a user's shell.
 */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== 'INIT_CWD'),
  );
}

/** Builds the libraries (tsc -b, incremental) and packs every workspace into a new temp dir. */
export async function packWorkspaces(): Promise<{ dir: string; packages: Map<string, PackedPackage> }> {
  await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], { cwd: ROOT });
  const dir = mkdtempSync(join(tmpdir(), 'nr-consumers-'));
  const { stdout } = await run(
    'npm',
    ['pack', '--workspaces', '--pack-destination', dir, '--json', '--loglevel=error'],
    { cwd: ROOT, env: userEnv(), maxBuffer: 16 * 1024 * 1024 },
  );
  const packages = new Map<string, PackedPackage>();
  for (const entry of JSON.parse(stdout) as Array<{
    name: string;
    filename: string;
    size: number;
    unpackedSize: number;
  }>) {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'libs', entry.name.split('/')[1], 'package.json'), 'utf8'));
    packages.set(entry.name, {
      name: entry.name,
      tarball: join(dir, entry.filename),
      size: entry.size,
      unpackedSize: entry.unpackedSize,
      dependencies: Object.keys(manifest.dependencies ?? {}),
    });
  }
  return { dir, packages };
}

export class ConsumerApp {
  constructor(
    readonly name: string,
    readonly dir: string,
    /** Seconds `npm install` and `tsc` took. */
    readonly installSeconds: number,
    readonly buildSeconds: number,
  ) {}

  /** Names of the packages installed in the app's node_modules (scoped ones as `@scope/name`). */
  installed(): string[] {
    const modules = join(this.dir, 'node_modules');
    return readdirSync(modules).flatMap((entry) =>
      entry.startsWith('@') ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`) : [entry],
    );
  }

  /** Runs `npm <args>` in the app's dir; rejects with the output when it fails. */
  async npm(args: string[]): Promise<string> {
    try {
      const { stdout, stderr } = await run('npm', args, { cwd: this.dir, env: userEnv() });
      return `${stdout}${stderr}`;
    } catch (error) {
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      throw new Error(`${this.name}: npm ${args.join(' ')} failed\n${stdout}${stderr}`);
    }
  }

  /**
   * `node dist/main.js` in the app's dir, with PORT set to a free port; killed after the test file. `node` is the
   * binary to run it on (the tests' own Node unless given).
   */
  async start(env: Record<string, string> = {}, node = process.execPath): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawnTracked(node, [join(this.dir, 'dist', 'main.js')], {
      cwd: this.dir,
      env: { ...userEnv(), NO_COLOR: '1', ...env, PORT: String(port) },
    });
    return new ServiceProcess(child, port);
  }
}

/**
 * Copies `fixtures/<fixture>` into `into`, points its "packed" specs at the tarballs, installs and builds it. A
 * fixture without a tsconfig (the single-package apps) gets the Nest 11 app's, which is `nest new`'s. `sharedSrc`
 * (a fixtures folder) is copied into the app's `src` first: the full apps share everything but their `main.ts`.
 */
export async function installApp(
  fixture: string,
  into: string,
  packages: Map<string, PackedPackage>,
  sharedSrc?: string,
): Promise<ConsumerApp> {
  const dir = join(into, fixture.replaceAll('/', '-'));
  if (sharedSrc) cpSync(join(FIXTURES, sharedSrc), join(dir, 'src'), { recursive: true });
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) {
    if (!existsSync(join(dir, file))) cpSync(join(FIXTURES, 'nest11-express', file), join(dir, file));
  }
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const field of ['dependencies', 'overrides']) {
    for (const [name, spec] of Object.entries<string>(manifest[field] ?? {})) {
      if (spec !== 'packed') continue;
      const packed = packages.get(name);
      if (!packed) throw new Error(`${fixture}: ${name} is not a workspace package`);
      manifest[field][name] = `file:${packed.tarball}`;
    }
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  const started = performance.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    env: userEnv(),
  });
  const installed = performance.now();
  try {
    await run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir, env: userEnv() });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    throw new Error(`${fixture}: tsc failed\n${stdout}${stderr}`);
  }
  if (!existsSync(join(dir, 'dist', 'main.js'))) throw new Error(`${fixture}: tsc wrote no dist/main.js`);
  const seconds = (from: number, to: number) => Math.round((to - from) / 100) / 10;
  return new ConsumerApp(fixture, dir, seconds(started, installed), seconds(installed, performance.now()));
}

/** The oldest Node our `engines` allow: `>=22.12` is 22.12.0. Read from the root package.json, so tests follow it. */
export function enginesFloor(): string {
  const range = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
    .node;
  const floor = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
  if (!floor) throw new Error(`engines.node is ${JSON.stringify(range)}: expected ">=major.minor[.patch]"`);
  return `${floor[1]}.${floor[2]}.${floor[3] ?? 0}`;
}

/**
 * Node `version`, fetched once from the npm registry's `node` package into a cache directory (a half-finished
 * install is redone); resolves to its binary.
 */
export async function installNode(version: string): Promise<string> {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const prefix = join(cache, 'nestjs-reliability', `node-${version}`);
  const binary = join(prefix, 'node_modules', '.bin', 'node');
  const installed = async () => {
    try {
      return (await run(binary, ['--version'])).stdout.trim() === `v${version}`;
    } catch {
      return false;
    }
  };
  if (!(await installed())) {
    await run(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `node@${version}`],
      {
        env: userEnv(),
      },
    );
    if (!(await installed())) throw new Error(`npm installed no Node v${version} at ${binary}`);
  }
  return binary;
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
