import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';

/**
 * Every process a test starts goes through here, so none outlives its test file: all are killed in an
 * `afterAll` registered for the importing test file, and with SIGKILL when the test process itself exits
 * (a crashed or interrupted run).
 */
const live = new Set<ChildProcess>();

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export async function killAll(): Promise<void> {
  await Promise.all([...live].map((child) => killAndWait(child)));
}

/** SIGKILL (also resumes a SIGSTOPped process's death) and wait until the OS has reaped it. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export function trackedCount(): number {
  return live.size;
}

process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

if (typeof afterAll === 'function') afterAll(killAll);
