import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { startRedis, startService } from '../support';
import { readText, readYaml, runOk, tool } from './deploy-support';
import { exposedNames, metricNames, withVariables } from './promql';

// monitoring/grafana-dashboard.json: importable, templated, every query parses (promtool), and every metric it
// and the alert rules name is exported by the running service or is a standard Kubernetes metric listed here.
const KUBERNETES_METRICS = new Set([
  'up', // Prometheus's own, per target
  'container_memory_working_set_bytes', // cAdvisor (kubelet)
  'kube_pod_container_resource_limits', // kube-state-metrics, from here on
  'kube_pod_container_status_restarts_total',
  'kube_pod_container_status_last_terminated_exitcode',
  'kube_deployment_status_replicas_available',
  'kube_statefulset_status_replicas_available',
]);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
}

const dashboard = JSON.parse(readText('monitoring/grafana-dashboard.json'));
const panels: Panel[] = dashboard.panels;
const queryPanels = panels.filter((panel) => panel.type !== 'row');
const queries = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, ...target })));
const ruleExprs: string[] = readYaml<{ groups: Array<{ rules: Array<{ expr: string }> }> }>(
  'monitoring/prometheus-alerts.yaml',
).groups.flatMap((group) => group.rules.map((rule) => rule.expr));
const recorded = new Set(
  readYaml<{ groups: Array<{ rules: Array<{ record?: string }> }> }>('monitoring/prometheus-alerts.yaml')
    .groups.flatMap((group) => group.rules.map((rule) => rule.record))
    .filter(Boolean),
);

describe('monitoring/grafana-dashboard.json', () => {
  it('is a Grafana 10+ dashboard with a stable uid and unique panel ids', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38);
    expect(dashboard.uid).toBe('enterprise-service');
    expect(dashboard.id ?? null).toBeNull(); // an id would clash on import into another Grafana
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      expect(panel.gridPos.h).toBeGreaterThan(0);
    }
  });

  it('is templated on data source, namespace and pod, and every query uses them', () => {
    const variables = Object.fromEntries(
      dashboard.templating.list.map((v: { name: string; type: string }) => [v.name, v.type]),
    );
    expect(variables).toEqual({ datasource: 'datasource', namespace: 'query', pod: 'query' });
    for (const query of queries) {
      expect({ panel: query.panel.title, uid: query.datasource?.uid, panelUid: query.panel.datasource?.uid }).toEqual({
        panel: query.panel.title,
        uid: '${datasource}',
        panelUid: '${datasource}',
      });
      expect({ panel: query.panel.title, namespace: query.expr.includes('$namespace') }).toEqual({
        panel: query.panel.title,
        namespace: true,
      });
    }
  });

  it('covers traffic, latency, errors, runtime, database, resilience, TSID and jobs', () => {
    const titles = queryPanels.map((panel) => panel.title).join('\n');
    for (const topic of [
      'Request rate',
      'Latency p95',
      'Latency p99',
      'Error rate',
      'In-flight',
      'Memory',
      'CPU',
      'MongoDB operations',
      'MongoDB latency',
      'Event-loop lag',
      'GC',
      'Business',
      'handles',
      'Circuit breaker state',
      'TSID lease TTL',
      'TSID node ID',
      'Job queue depth',
      'Job outcomes and recoveries',
      'Job duration',
    ]) {
      expect(titles).toContain(topic);
    }
  });

  it('has only queries that promtool parses', () => {
    const promtool = tool('promtool', 'apt-get install prometheus');
    const rules = queries.map((query) => ({
      record: `dashboard:panel_${query.panel.id}:${query.refId.toLowerCase()}`,
      expr: withVariables(query.expr),
    }));
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
    try {
      writeFileSync(join(dir, 'queries.yaml'), yaml.dump({ groups: [{ name: 'dashboard', rules }] }));
      expect(runOk(promtool, ['check', 'rules', join(dir, 'queries.yaml')])).toContain(
        `SUCCESS: ${rules.length} rules found`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names only recorded series of our rules, exported metrics or allow-listed Kubernetes metrics', () => {
    // The scrape check below covers exported metrics; here, the names that are not ours must be listed.
    const foreign = queries
      .flatMap((query) => metricNames(query.expr))
      .filter(
        (name) =>
          !name.startsWith('enterprise_service_') && !name.startsWith('nodejs_') && !name.startsWith('process_'),
      )
      .filter((name) => !recorded.has(name) && !KUBERNETES_METRICS.has(name));
    expect(foreign).toEqual([]);
  });
});

describe('metric names against the running service', () => {
  let exposed: Set<string>;

  beforeAll(async () => {
    const redis = await startRedis();
    const service = await startService({ env: { REDIS_URL: redis.url, DEMO_ENDPOINTS: 'true' } });
    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    exposed = exposedNames(await response.text());
  });

  const known = (name: string): boolean => exposed.has(name) || recorded.has(name) || KUBERNETES_METRICS.has(name);

  it('exports every metric the dashboard names', () => {
    const names = [...new Set(queries.flatMap((query) => metricNames(query.expr)))];
    expect(names.filter((name) => !known(name))).toEqual([]);
  });

  it('exports every metric the alert and recording rules name', () => {
    const names = [...new Set(ruleExprs.flatMap((expr) => metricNames(expr)))];
    expect(names.filter((name) => !known(name))).toEqual([]);
  });
});
