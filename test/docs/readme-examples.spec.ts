import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

// The READMEs are the packages' user documentation: their examples must compile against what is published (the built
// `dist/` through node_modules, as a user's compiler sees it) and their tables must say what the code does.
const ROOT = join(__dirname, '..', '..');

/** Each documented package and the exported constant its options table is checked against (none: no options). */
const PACKAGES: Record<string, string | undefined> = {
  common: undefined,
  shutdown: 'SHUTDOWN_DEFAULTS',
  health: 'HEALTH_DEFAULTS',
  metrics: 'METRICS_DEFAULTS',
  tsid: 'TSID_DEFAULTS',
  lock: 'LOCK_DEFAULTS',
  jobs: 'JOBS_DEFAULTS',
  resilience: 'RESILIENCE_DEFAULTS',
};

const readmes = ['README.md', ...Object.keys(PACKAGES).map((name) => `libs/${name}/README.md`)];

interface Block {
  readme: string;
  line: number;
  code: string;
}

function fencedBlocks(readme: string, language: string): Block[] {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```' + language) continue;
    const end = lines.findIndex((text, j) => j > i && text.trim() === '```');
    blocks.push({ readme, line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The rows of the first table whose header starts with the given cells, as cell texts. */
function table(readme: string, header: string[]): string[][] | undefined {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n');
  // Cells split on unescaped pipes; `\|` is a pipe inside a cell (as in `^11.0.0 \|\| ^12.0.0`).
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|'));
  const start = lines.findIndex((line) => line.trim().startsWith('|') && header.every((h, i) => cells(line)[i] === h));
  if (start < 0) return undefined;
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].trim().startsWith('|'); i++) rows.push(cells(lines[i]));
  return rows;
}

/** `{ a: { b: 1 } }` → `{ 'a.b': 1 }`; arrays are values. */
function flatten(value: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      Object.assign(out, flatten(child as object, `${prefix}${key}.`));
    } else out[`${prefix}${key}`] = child;
  }
  return out;
}

/** A default written as a code literal: `30000`, `30_000`, `'lock:'`, `['SIGTERM', 'SIGINT']`, `true`. */
function literal(readme: string, option: string, text: string): unknown {
  try {
    return JSON.parse(text.replace(/(\d)_(?=\d)/g, '$1').replace(/'/g, '"'));
  } catch {
    throw new Error(`${readme}: the default of ${option}, \`${text}\`, is not a literal; write it as words instead`);
  }
}

describe('package READMEs', () => {
  it('covers every package', () => {
    const packages = readdirSync(join(ROOT, 'libs')).filter((dir) =>
      existsSync(join(ROOT, 'libs', dir, 'package.json')),
    );
    expect(packages.sort()).toEqual(Object.keys(PACKAGES).sort());
  });

  it('has examples that type-check against the built packages', () => {
    const blocks = readmes.flatMap((readme) => fencedBlocks(readme, 'ts'));
    expect(blocks.length).toBeGreaterThanOrEqual(Object.keys(PACKAGES).length);
    // Each block is its own module, placed beside its README so imports resolve as they would in a project there.
    const files = new Map(
      blocks.map((block) => [join(ROOT, dirname(block.readme), `README.md.${block.line}.ts`), block] as const),
    );
    const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
    const compilerOptions = { ...options, noEmit: true, declaration: false, declarationMap: false, types: ['node'] };
    const host = ts.createCompilerHost(compilerOptions);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = (file) => files.has(file) || ts.sys.fileExists(file);
    host.readFile = (file) => (files.has(file) ? `${files.get(file)!.code}\nexport {};\n` : readFile(file));
    host.getSourceFile = (file, language) =>
      files.has(file) ? ts.createSourceFile(file, host.readFile(file)!, language, true) : getSourceFile(file, language);
    const program = ts.createProgram([...files.keys()], compilerOptions, host);
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const block = diagnostic.file && files.get(diagnostic.file.fileName);
      const where = block
        ? `${block.readme}:${block.line + diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!).line}`
        : (diagnostic.file?.fileName ?? 'tsc');
      return `${relative(ROOT, where)}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(errors).toEqual([]);
  });

  describe.each(Object.entries(PACKAGES))('%s', (name, defaultsExport) => {
    const readme = `libs/${name}/README.md`;
    const manifest = JSON.parse(readFileSync(join(ROOT, 'libs', name, 'package.json'), 'utf8')) as {
      name: string;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    const peers = Object.entries(manifest.peerDependencies ?? {});
    const optional = (peer: string) => manifest.peerDependenciesMeta?.[peer]?.optional === true;

    it('installs the package with its required peers', () => {
      const install = fencedBlocks(readme, 'sh').map((block) => block.code.trim());
      const required = peers.filter(([peer]) => !optional(peer)).map(([peer]) => peer);
      expect(install).toContain(['npm i', manifest.name, ...required].join(' '));
    });

    it("has a peer table matching package.json's peerDependencies", () => {
      const rows = table(readme, ['peer', 'range', 'required']) ?? [];
      expect(rows).toEqual(
        peers.map(([peer, range]) => [`\`${peer}\``, `\`${range}\``, optional(peer) ? 'no (optional)' : 'yes']),
      );
    });

    it('has the compatibility matrix', () => {
      expect(table(readme, ['', 'Nest 11', 'Nest 12'])).toBeDefined();
    });

    it("documents each option's default as the code declares it", async () => {
      const rows = table(readme, ['option', 'default', 'meaning']);
      if (defaultsExport === undefined) {
        expect(rows).toBeUndefined();
        return;
      }
      const exports = (await import(manifest.name)) as Record<string, object>;
      const defaults = flatten(exports[defaultsExport]);
      expect(rows).toBeDefined();
      const documented = rows!.map(([option, value]) => {
        const name = /^`([\w.]+)`$/.exec(option)?.[1];
        if (!name) throw new Error(`${readme}: option cell ${option} must be one option name in backticks`);
        const code = /^`([^`]+)`/.exec(value)?.[1];
        return { name, value: code === undefined ? undefined : literal(readme, name, code), text: value };
      });
      // A value in backticks is the default; plain words describe one the code derives or leaves unset.
      for (const { name, value, text } of documented) {
        if (value === undefined) {
          expect({ option: name, declaredInCode: name in defaults }).toEqual({ option: name, declaredInCode: false });
        } else {
          expect({ option: name, default: value }).toEqual({ option: name, default: defaults[name] });
        }
        expect(text).not.toBe('');
      }
      expect(documented.map((row) => row.name)).toEqual(expect.arrayContaining(Object.keys(defaults)));
    });
  });
});
