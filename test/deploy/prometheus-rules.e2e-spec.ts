import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readText, readYaml, ROOT, run, runOk, tool } from './deploy-support';

// monitoring/prometheus-alerts.yaml through promtool, and the conventions every alert must follow.
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const RULES = 'monitoring/prometheus-alerts.yaml';
const TESTS_DIR = join('monitoring', 'tests');
const promtool = tool('promtool', 'apt-get install prometheus (Debian) or download Prometheus from prometheus.io');
const rules: Rule[] = readYaml<{ groups: Array<{ rules: Rule[] }> }>(RULES).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert);
const testFiles = readdirSync(join(ROOT, TESTS_DIR)).filter((name) => name.endsWith('.test.yaml'));

describe('monitoring/prometheus-alerts.yaml', () => {
  it('passes promtool check rules', () => {
    const output = runOk(promtool, ['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS');
  });

  it('passes every promtool unit test in monitoring/tests', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const result = run(promtool, ['test', 'rules', ...testFiles.map((name) => join(TESTS_DIR, name))]);
    expect(result.stdout + result.stderr).not.toContain('FAILED');
    expect(result.status).toBe(0);
  });

  it('has a unit test that fires and one that stays silent for every alert', () => {
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const name of testFiles) {
      const file = readYaml<{
        tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
      }>(join(TESTS_DIR, name));
      for (const check of file.tests.flatMap((test) => test.alert_rule_test ?? [])) {
        (check.exp_alerts?.length ? fires : silent).add(check.alertname);
      }
    }
    const names = alerts.map((rule) => rule.alert!);
    expect(names.filter((name) => !fires.has(name))).toEqual([]);
    expect(names.filter((name) => !silent.has(name))).toEqual([]);
  });

  it('has the alerts the issue asks for', () => {
    expect(alerts.map((rule) => rule.alert).sort()).toEqual(
      [
        'AvailabilitySLOFastBurn',
        'AvailabilitySLOSlowBurn',
        'CircuitBreakerOpen',
        'DatabaseConnectionErrors',
        'HighCPUUsage',
        'HighErrorRate',
        'HighEventLoopLag',
        'HighLatency',
        'HighMemoryUsage',
        'HighPodRestartRate',
        'JobFailureRatio',
        'JobQueueStalled',
        'JobsRecovered',
        'LatencySLOFastBurn',
        'LatencySLOSlowBurn',
        'LowReplicaCount',
        'ServiceDown',
        'SlowDatabaseQueries',
        'TsidLeaseLost',
        'TsidLeaseStolen',
      ].sort(),
    );
  });

  it.each(alerts.map((rule) => [rule.alert!, rule] as const))(
    '%s is CamelCase with a severity, a summary, a description and a runbook section',
    (name, rule) => {
      expect(name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const url = new URL(rule.annotations!.runbook_url);
      expect(url.pathname.endsWith('/monitoring/RUNBOOK.md')).toBe(true);
      expect(url.hash).toBe(`#${name.toLowerCase()}`);
      expect(readText('monitoring/RUNBOOK.md')).toContain(`\n## ${name}\n`);
    },
  );

  it('records the SLI error ratios of both SLOs over every window of the multi-window alerts', () => {
    const recorded = new Set(rules.map((rule) => rule.record).filter(Boolean));
    for (const sli of ['availability', 'latency']) {
      for (const window of ['5m', '30m', '1h', '2h', '6h', '1d', '3d']) {
        expect(recorded).toContain(`namespace_job:enterprise_service_slo_${sli}_errors:ratio_rate${window}`);
      }
    }
  });
});

describe('monitoring/prometheus.yml', () => {
  it('is a valid Prometheus configuration that loads the rule file', () => {
    const output = runOk(promtool, ['check', 'config', '--syntax-only', 'monitoring/prometheus.yml']);
    expect(output).toContain('SUCCESS');
    const config = readYaml<{ rule_files: string[]; scrape_configs: Array<{ job_name: string }> }>(
      'monitoring/prometheus.yml',
    );
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/prometheus-alerts.yaml']);
    expect(config.scrape_configs.map((job) => job.job_name)).toContain('enterprise-service');
  });
});
