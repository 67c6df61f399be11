/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML; the checks below are what types them */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';

/** Helpers for the deployment-artifact suites: real tools found on PATH, the rendered manifests, the contract. */
export const ROOT = join(__dirname, '..', '..');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The absolute path of a command-line tool, or an error that says how to install it. */
export function tool(name: string, install: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`${name} is not on PATH; this test drives the real tool. Install it: ${install}`);
  }
  return path;
}

export function run(command: string, args: string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: ROOT, timeout: 120_000, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs a command and returns its stdout, or throws with its output when it exits non-zero. */
export function runOk(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export function readYaml<T = any>(path: string): T {
  return yaml.load(readText(path)) as T;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

/** `kubectl kustomize k8s/overlays/<name>`, parsed. */
export function renderOverlay(name: string): K8sObject[] {
  const kubectl = tool('kubectl', 'apt-get install kubernetes-client (Debian) or see kubernetes.io/docs/tasks/tools');
  const output = runOk(kubectl, ['kustomize', join(ROOT, 'k8s', 'overlays', name)]);
  return yaml.loadAll(output).filter(Boolean) as K8sObject[];
}

export function findObject(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` named ${name}` : ''} in the rendered manifests`);
  return found;
}

export interface Contract {
  /** Environment variable → default, from the contract's Environment table. */
  env: Map<string, string>;
  /** `GET /health/liveness`, ... */
  endpoints: Set<string>;
  /** Exit code → when. */
  exitCodes: Map<number, string>;
}

/** The reference service's contract, kept beside it. */
export const CONTRACT_PATH = join(ROOT, 'apps', 'enterprise-service', 'CONTRACT.md');

export function contract(): Contract {
  const text = readFileSync(CONTRACT_PATH, 'utf8');
  const env = new Map<string, string>();
  // Cells may be padded (prettier aligns the tables).
  for (const [, name, value] of text.matchAll(/^\| `([A-Z][A-Z0-9_]+)` *\| ([^|]+) \|/gm)) {
    env.set(name, value.trim().replace(/^`|`$/g, ''));
  }
  const endpoints = new Set(
    [...text.matchAll(/^\| `((?:GET|POST|PUT|DELETE|PATCH) \/[^`]*)` *\|/gm)].map((match) => match[1]),
  );
  const exitCodes = new Map(
    [...text.matchAll(/^\| (\d+) *\| ([^|]+) \|/gm)].map((match) => [Number(match[1]), match[2].trim()] as const),
  );
  return { env, endpoints, exitCodes };
}

/** The environment variables the service reads, from its configuration source (`read.<type>('NAME', ...)`). */
export function serviceEnvNames(): Set<string> {
  const source = join(ROOT, 'apps', 'enterprise-service', 'src', 'config', 'app-config.ts');
  return new Set([...readFileSync(source, 'utf8').matchAll(/\bread\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]));
}

/** Variables Node.js itself reads; not part of the service's configuration. */
export const NODE_RUNTIME_ENV = new Set(['NODE_ENV', 'NODE_OPTIONS']);

/** `--max-old-space-size=384` → 384 (MiB), from a NODE_OPTIONS value. */
export function maxOldSpaceMiB(nodeOptions: string | undefined): number {
  const match = /--max-old-space-size=(\d+)/.exec(nodeOptions ?? '');
  if (!match) throw new Error(`NODE_OPTIONS ${JSON.stringify(nodeOptions)} sets no --max-old-space-size`);
  return Number(match[1]);
}

/** Kubernetes/compose memory quantities (512Mi, 1Gi, 512M, 1G) in MiB. */
export function memoryMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G|k|m|g)?$/.exec(String(quantity));
  if (!match) throw new Error(`unrecognised memory quantity ${quantity}`);
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 1024 ** 2,
    k: 1000 / 1024 ** 2,
    M: 1000 ** 2 / 1024 ** 2,
    m: 1000 ** 2 / 1024 ** 2,
    G: 1000 ** 3 / 1024 ** 2,
    g: 1000 ** 3 / 1024 ** 2,
  };
  return Number(match[1]) * factor[match[2] ?? 'Mi'];
}

/** Docker/compose memory sizes (512m, 1g: binary units) in MiB. */
export function dockerMemoryMiB(size: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg])b?$/i.exec(String(size));
  if (!match) throw new Error(`unrecognised docker memory size ${size}`);
  return Number(match[1]) * { k: 1 / 1024, m: 1, g: 1024 }[match[2].toLowerCase() as 'k' | 'm' | 'g'];
}
