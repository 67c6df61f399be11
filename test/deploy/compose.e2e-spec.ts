import {
  contract,
  dockerMemoryMiB,
  maxOldSpaceMiB,
  NODE_RUNTIME_ENV,
  readYaml,
  serviceEnvNames,
} from './deploy-support';

// docker-compose.yml and docker-compose.prod.yml, parsed (no Docker engine here) and checked against the contract.
interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; interval?: string; start_period?: string; retries?: number };
  restart?: string;
  stop_grace_period?: string;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
}

const base = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml').services;
const prod = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.prod.yml').services;
const app = base['enterprise-service'];
const seconds = (duration: string): number => {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (!match) throw new Error(`unrecognised duration ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

/** Compose's merge of the prod file over the base one, for the keys these checks read. */
function merged(name: string): ComposeService {
  const over = prod[name] ?? {};
  return {
    ...base[name],
    ...over,
    environment: { ...base[name].environment, ...over.environment },
    healthcheck: { ...base[name].healthcheck, ...over.healthcheck },
  };
}

describe('docker-compose.yml', () => {
  it('runs the service, MongoDB, Redis, Prometheus and Grafana', () => {
    expect(Object.keys(base).sort()).toEqual(['enterprise-service', 'grafana', 'mongodb', 'prometheus', 'redis']);
  });

  it('gives every service a healthcheck', () => {
    for (const [name, service] of Object.entries(base)) {
      expect({ name, test: service.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
    }
  });

  it('checks the service on the liveness path and publishes the PORT it listens on', () => {
    expect(contract().endpoints).toContain('GET /health/liveness');
    expect(app.healthcheck!.test!.join(' ')).toContain(`http://127.0.0.1:${app.environment!.PORT}/health/liveness`);
    expect(app.ports).toEqual([`${app.environment!.PORT}:${app.environment!.PORT}`]);
  });

  it('sets only environment variables the service reads, pointing at the compose dependencies', () => {
    const read = serviceEnvNames();
    const names = Object.keys(app.environment!);
    expect(names.filter((name) => !read.has(name) && !NODE_RUNTIME_ENV.has(name))).toEqual([]);
    expect(new URL(app.environment!.MONGODB_URI).host).toBe('mongodb:27017');
    expect(new URL(app.environment!.REDIS_URL).host).toBe('redis:6379');
  });

  it('lets the service finish its drain and in-flight requests before Docker kills it', () => {
    const { env } = contract();
    const setting = (name: string) => Number(app.environment![name] ?? env.get(name));
    const needed = (setting('SHUTDOWN_DRAIN_DELAY_MS') + setting('SHUTDOWN_TIMEOUT_MS')) / 1000;
    expect(seconds(app.stop_grace_period!)).toBeGreaterThan(needed);
  });

  it('runs Redis with AOF persistence', () => {
    expect(base.redis.command!.join(' ')).toMatch(/--appendonly yes/);
  });

  it('loads our rule file into Prometheus and our dashboard into Grafana', () => {
    expect(base.prometheus.volumes).toEqual(
      expect.arrayContaining([
        './monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './monitoring/prometheus-alerts.yaml:/etc/prometheus/rules/prometheus-alerts.yaml:ro',
      ]),
    );
    expect(base.grafana.volumes).toEqual(
      expect.arrayContaining([
        './monitoring/grafana/provisioning:/etc/grafana/provisioning:ro',
        './monitoring/grafana-dashboard.json:/var/lib/grafana/dashboards/enterprise-service.json:ro',
      ]),
    );
    const providers = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      'monitoring/grafana/provisioning/dashboards/dashboards.yaml',
    ).providers;
    expect(providers.map((provider) => provider.options.path)).toEqual(['/var/lib/grafana/dashboards']);
  });
});

describe('docker-compose.prod.yml', () => {
  it('only overrides services the base file defines', () => {
    expect(Object.keys(prod).filter((name) => !(name in base))).toEqual([]);
  });

  it.each(Object.keys(base))('restarts %s always, with a healthcheck start_period and resource limits', (name) => {
    const service = merged(name);
    expect(service.restart).toBe('always');
    expect(seconds(service.healthcheck!.start_period!)).toBeGreaterThan(0);
    expect(service.deploy?.resources?.limits?.memory).toBeDefined();
    expect(service.deploy?.resources?.limits?.cpus).toBeDefined();
  });

  it('keeps the V8 old space well below the memory limit of the service', () => {
    const service = merged('enterprise-service');
    const limit = dockerMemoryMiB(service.deploy!.resources!.limits!.memory!);
    expect(maxOldSpaceMiB(service.environment!.NODE_OPTIONS)).toBeLessThanOrEqual(limit * 0.8);
  });

  it('pins the service image and turns the demo endpoints off', () => {
    const service = merged('enterprise-service');
    expect(service.image).toMatch(/:(?!latest\b)[\w.-]+}?$/);
    expect(service.environment!.DEMO_ENDPOINTS).toBe('false');
  });
});
