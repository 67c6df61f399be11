import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { freePort, type ServiceProcess, startRedis, startService, waitFor } from '../support';
import { spawnTracked } from '../support/child-processes';
import { readText, ROOT, tool } from './deploy-support';
import { withVariables } from './promql';

// A real Prometheus scrapes the running service every second with our rule file loaded; the test drives
// traffic and reads dashboard queries and alert states through Prometheus's HTTP API.
jest.setTimeout(60_000);

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

const dashboard = JSON.parse(readText('monitoring/grafana-dashboard.json'));
const panelQuery = (title: string): string => {
  const panel = dashboard.panels.find((each: { title: string }) => each.title === title);
  if (!panel) throw new Error(`the dashboard has no panel "${title}"`);
  return withVariables(panel.targets[0].expr as string, { namespace: 'e2e', interval: '10s' });
};

describe('Prometheus with our rules, scraping the service', () => {
  let dir: string;
  let prometheusUrl: string;
  let service: ServiceProcess;

  async function query(expr: string): Promise<Sample[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data.result;
  }

  async function alertStates(): Promise<Map<string, string>> {
    const response = await fetch(`${prometheusUrl}/api/v1/rules?type=alert`);
    const body = (await response.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; state: string; health: string; lastError?: string }> }> };
    };
    const rules = body.data.groups.flatMap((group) => group.rules);
    const broken = rules.filter((rule) => rule.health === 'err');
    if (broken.length) throw new Error(`rules failing to evaluate: ${JSON.stringify(broken)}`);
    return new Map(rules.map((rule) => [rule.name, rule.state]));
  }

  /** Requests in parallel batches, to give the rules a traffic rate above their guards. */
  async function drive(path: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, () =>
        fetch(service.url + path).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      );
      statuses.push(...(await Promise.all(batch)));
    }
    return statuses;
  }

  beforeAll(async () => {
    const prometheus = tool('prometheus', 'apt-get install prometheus (Debian) or download it from prometheus.io');
    const redis = await startRedis();
    const deadUpstream = await freePort(); // nothing listens: every /directory call fails
    service = await startService({
      env: {
        REDIS_URL: redis.url,
        DEMO_ENDPOINTS: 'true',
        UPSTREAM_URL: `http://127.0.0.1:${deadUpstream}`,
        UPSTREAM_TIMEOUT_MS: '200',
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
    copyFileSync(join(ROOT, 'monitoring', 'prometheus-alerts.yaml'), join(dir, 'prometheus-alerts.yaml'));
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'prometheus-alerts.yaml')],
      scrape_configs: [
        {
          job_name: 'enterprise-service',
          static_configs: [{ targets: [`127.0.0.1:${service.port}`], labels: { namespace: 'e2e', pod: 'e2e-pod' } }],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(config));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const child = spawnTracked(
      prometheus,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { cwd: dir },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      `Prometheus to be ready on ${prometheusUrl}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`prometheus exited with ${child.exitCode}: ${output.slice(-1000)}`);
        return (await fetch(`${prometheusUrl}/-/ready`)).ok;
      },
      20_000,
    );
    const firstScrape = await waitFor(
      'a first successful scrape of the service',
      async () => {
        const response = await fetch(`${prometheusUrl}/api/v1/targets`);
        const body = (await response.json()) as {
          data: { activeTargets: Array<{ health: string; lastError: string; lastScrape: string }> };
        };
        const [target] = body.data.activeTargets;
        if (target?.lastError) throw new Error(`scraping ${service.url}/metrics: ${target.lastError}`);
        return target?.health === 'up' && Date.parse(target.lastScrape);
      },
      15_000,
    );
    // Alert states reflect the scraped data only once every rule group has been evaluated after that scrape.
    await waitFor(
      'every rule group to be evaluated after the first scrape',
      async () => {
        const response = await fetch(`${prometheusUrl}/api/v1/rules`);
        const body = (await response.json()) as { data: { groups: Array<{ lastEvaluation: string }> } };
        return body.data.groups.every((group) => Date.parse(group.lastEvaluation) > firstScrape);
      },
      15_000,
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads every rule of the rule file, and none fails to evaluate', async () => {
    const states = await alertStates();
    const rules = readFileSync(join(ROOT, 'monitoring', 'prometheus-alerts.yaml'), 'utf8').match(/^\s*- alert: /gm);
    expect(states.size).toBe(rules!.length);
    expect(states.get('ServiceDown')).toBe('inactive');
  });

  it('shows request rate and p95 latency by route on the dashboard queries', async () => {
    expect(await drive('/demo/ping', 60)).toEqual(Array(60).fill(200));
    // A rate needs two scraped samples that differ: keep traffic flowing while Prometheus catches up.
    const rate = await waitFor(
      'the dashboard request rate of /demo/ping',
      async () => {
        await drive('/demo/ping', 10);
        const samples = await query(panelQuery('Request rate by route'));
        return samples.find((sample) => sample.metric.route === '/demo/ping' && Number(sample.value[1]) > 0);
      },
      15_000,
    );
    expect(rate.metric).toEqual({ route: '/demo/ping' });
    const p95 = await waitFor(
      'the dashboard p95 latency of /demo/ping',
      async () => {
        const samples = await query(panelQuery('Latency p95 by route'));
        return samples.find(
          (sample) => sample.metric.route === '/demo/ping' && Number.isFinite(Number(sample.value[1])),
        );
      },
      15_000,
    );
    expect(Number(p95.value[1])).toBeLessThan(0.5);
  });

  it('raises HighErrorRate, the fast SLO burn and CircuitBreakerOpen (pending) when the upstream is down', async () => {
    const statuses = await drive('/directory/acme', 80);
    expect(statuses.every((status) => status === 503)).toBe(true);
    const states = await waitFor(
      'HighErrorRate, AvailabilitySLOFastBurn and CircuitBreakerOpen to be pending',
      async () => {
        await drive('/directory/acme', 10);
        const current = await alertStates();
        const wanted = ['HighErrorRate', 'AvailabilitySLOFastBurn', 'CircuitBreakerOpen'];
        return wanted.every((name) => current.get(name) !== 'inactive') && current;
      },
      30_000,
    );
    expect(states.get('HighErrorRate')).toBe('pending'); // fires after 5 minutes, beyond this test
    expect(states.get('ServiceDown')).toBe('inactive');
    const errorRate = await query(panelQuery('Error rate (5xx share)'));
    expect(Number(errorRate[0].value[1])).toBeGreaterThan(0.05);
  });
});
