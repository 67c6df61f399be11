import { spawnSync } from 'node:child_process';

/** Samples of the metric family `name` in a Prometheus text exposition, as `series → value`. */
export function metricSamples(text: string, name: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const at = line.lastIndexOf(' ');
    result.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return result;
}

/** What `promtool check metrics` reports about `text` ('' when nothing). */
export function promtoolProblems(text: string): string {
  const run = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : `\n(exit ${run.status})`);
}
