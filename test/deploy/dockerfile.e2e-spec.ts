import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../support';
import { killAndWait, spawnTracked } from '../support/child-processes';
import { readText, ROOT, runOk } from './deploy-support';
import { envOf, execForm, parseDockerfile, type Stage } from './dockerfile';

// No Docker engine runs in CI, so this proves what can be proved without one: the Dockerfile's structure, and
// a replay of its production-dependency stage, the runtime stage's own steps (filling V8's compile cache) and its
// command in a temporary directory: a start command that does not work, a run-time require the production install
// cannot satisfy, or a compile cache the first start does not use, fails here. (The service's bundle
// holds its dependencies; importing a dev dependency fails the build, see apps/enterprise-service/webpack.config.js.)
const { stages } = parseDockerfile(readText('Dockerfile'));
const runtime = stages[stages.length - 1];
const ofKind = (stage: Stage, keyword: string) => stage.instructions.filter((each) => each.keyword === keyword);
const single = (stage: Stage, keyword: string): string => {
  const found = ofKind(stage, keyword);
  if (found.length !== 1) throw new Error(`the ${stage.name} stage has ${found.length} ${keyword} instructions, not 1`);
  return found[0].args;
};
/** `COPY --from=<stage> <src> <dest>` of the runtime stage, as [stage, src, dest]. */
const copiesFrom = ofKind(runtime, 'COPY').flatMap(({ args }) => {
  const match = /^--from=(\S+)\s+(?:--\S+\s+)*(\S+)\s+(\S+)$/.exec(args);
  return match ? [[match[1], match[2], match[3]] as const] : [];
});
const stageNamed = (name: string): Stage => {
  const stage = stages.find((each) => each.name === name);
  if (!stage) throw new Error(`no stage named ${name}`);
  return stage;
};
const depsStage = stageNamed(copiesFrom.find(([, src]) => src.endsWith('/node_modules'))![0]);
/** Sources and destination of a COPY, its `--flags` dropped. */
const copyArgs = (args: string): [string[], string] => {
  const paths = args.split(' ').filter((each) => !each.startsWith('--'));
  return [paths.slice(0, -1), paths[paths.length - 1]];
};
const runCommands = (stage: Stage): string[] =>
  ofKind(stage, 'RUN').map(({ args }) => args.replace(/--mount=\S+\s+/g, ''));

describe('Dockerfile', () => {
  it('builds in one stage and runs on Node 24 in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.image).toMatch(/^node:24(-[\w.-]+)?$/);
    expect(stages.some((stage) => runCommands(stage).some((command) => command.includes('npm run build')))).toBe(true);
  });

  it('ships only production dependencies, installed from the lock file', () => {
    expect(runCommands(depsStage).some((command) => /\bnpm ci\b.*--omit=dev/.test(command))).toBe(true);
    expect(ofKind(depsStage, 'COPY').map((each) => each.args)).toContain('package.json package-lock.json ./');
  });

  it('runs as a non-root user with NODE_ENV=production', () => {
    expect(single(runtime, 'USER')).not.toMatch(/^(root|0)(:|$)/);
    expect(envOf(runtime).NODE_ENV).toBe('production');
  });

  it('has an init process as PID 1 and runs the compiled service with node directly, not through npm', () => {
    const entrypoint = execForm(single(runtime, 'ENTRYPOINT'))!;
    expect(entrypoint[0]).toMatch(/\/(tini|dumb-init)$/);
    expect(execForm(single(runtime, 'CMD'))).toEqual(['node', 'dist/apps/enterprise-service/main.js']);
  });

  it("fills V8's compile cache as the user the service runs as, where no run-time volume hides it", () => {
    const steps = runtime.instructions.map(({ keyword, args }) => `${keyword} ${args}`);
    const fill = steps.findIndex((step) => step.includes('--fill-compile-cache'));
    expect(fill).toBeGreaterThan(steps.findIndex((step) => step.startsWith('USER ')));
    // k8s/ mounts an emptyDir on /tmp, Node's default place for the cache.
    expect(envOf(runtime).NODE_COMPILE_CACHE).toMatch(/^\/app\//);
  });

  it('checks its health on the liveness path of the contract and exposes the PORT it listens on', () => {
    expect(single(runtime, 'HEALTHCHECK')).toContain('/health/liveness');
    expect(single(runtime, 'EXPOSE')).toBe(envOf(runtime).PORT);
  });

  it('keeps node_modules, dist and .git out of the build context, but nothing the Dockerfile copies', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const copied = stages
      .flatMap((stage) => ofKind(stage, 'COPY'))
      .filter(({ args }) => !args.startsWith('--from='))
      .flatMap(({ args }) => args.split(' ').slice(0, -1));
    expect(copied.filter((path) => ignored.includes(path.replace(/^\.\//, '')))).toEqual([]);
  });
});

describe('the runtime stage, replayed outside Docker', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockerfile-runtime-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs production dependencies with the deps stage commands, fills the compile cache, then starts from it and answers liveness', async () => {
    // The build stage's output is this checkout after `npm run build`: `COPY --from=<build> /app/x` copies ROOT/x.
    const fromBuild = (source: string) => join(ROOT, source.replace(/^\/app\/?/, ''));
    // deps stage, in order, in the temp dir: its COPY (from the context or the build), its RUN (npm ci --omit=dev).
    for (const { keyword, args } of depsStage.instructions) {
      if (keyword === 'RUN') runOk('sh', ['-c', args.replace(/--mount=\S+\s+/g, '')], { cwd: dir, timeout: 240_000 });
      if (keyword !== 'COPY') continue;
      const [source, dest] = copyArgs(args);
      const built = /^--from=/.test(args);
      for (const each of source)
        cpSync(built ? fromBuild(each) : join(ROOT, each), join(dir, built ? dest : each), { recursive: true });
    }
    // runtime stage: what it copies from the build stage (the deps stage's output is already in the temp dir),
    // package.json, the Dockerfile's ENV and CMD.
    for (const [stage, source, dest] of copiesFrom) {
      if (stage !== depsStage.name) cpSync(fromBuild(source), join(dir, dest), { recursive: true });
    }
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    // The image's ENV with /app in the temp dir, and the image's own RUN steps after its COPYs (those before them
    // install OS packages): the compile cache's directory, then filling it.
    const imageEnv = Object.fromEntries(
      Object.entries(envOf(runtime)).map(([key, value]) => [key, value.replace(/^\/app(?=\/|$)/, dir)]),
    );
    const lastCopy = runtime.instructions.findLastIndex(({ keyword }) => keyword === 'COPY');
    for (const { keyword, args } of runtime.instructions.slice(lastCopy + 1)) {
      if (keyword !== 'RUN') continue;
      const [command, ...commandArgs] = execForm(args) ?? ['sh', '-c', args];
      runOk(command === 'node' ? process.execPath : command, commandArgs, {
        cwd: dir,
        env: { PATH: process.env.PATH, ...imageEnv },
      });
    }
    const port = String(await freePort());
    // NODE_DEBUG_NATIVE: Node says whether V8 accepted the cached code of each module it compiles.
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      ...imageEnv,
      PORT: port,
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
    };
    const [command, ...args] = execForm(single(runtime, 'CMD'))!;
    const child = spawnTracked(command === 'node' ? process.execPath : command, args, { cwd: dir, env });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(
        `the replayed image to answer liveness on port ${port}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`it exited with ${child.exitCode}:\n${output.slice(-2000)}`);
          return (await fetch(`http://127.0.0.1:${port}/health/liveness`)).status === 200;
        },
        20_000,
      );
      // The HEALTHCHECK command itself, as Docker would run it inside the container.
      const healthcheck = execForm(single(runtime, 'HEALTHCHECK').replace(/^(--\S+\s+)*CMD\s+/, ''))!;
      const [check, ...checkArgs] = healthcheck;
      runOk(check === 'node' ? process.execPath : check, checkArgs, { cwd: dir, env });
      // The first start compiled the bundle from the cache the image build filled.
      const bundle = join(dir, 'dist/apps/enterprise-service/service.js');
      expect(output).toContain(`V8 code cache for CommonJS ${bundle} was accepted`);
    } finally {
      await killAndWait(child, 'SIGTERM');
    }
  }, 300_000);
});
