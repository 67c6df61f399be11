/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- manifests are untyped YAML; the checks below are what types them */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import {
  contract,
  findObject,
  type K8sObject,
  maxOldSpaceMiB,
  memoryMiB,
  NODE_RUNTIME_ENV,
  readYaml,
  renderOverlay,
  ROOT,
  run,
  runOk,
  serviceEnvNames,
  tool,
} from './deploy-support';

// Kubernetes manifests: kustomize renders every overlay, every object validates against the Kubernetes
// schemas (kubernetes-models), and the prod overlays obey the policy below, cross-checked with the contract.
const OVERLAYS = ['dev', 'prod', 'prod-statefulset'];
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);

/** The kubernetes-models class for an object, e.g. `apps/v1` Deployment → kubernetes-models/apps/v1 Deployment. */
function modelFor(object: K8sObject): (new (data: unknown) => { validate(): void }) | undefined {
  let module: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module path depends on the object
    module = require(`kubernetes-models/${object.apiVersion}`) as Record<string, unknown>;
  } catch {
    return undefined; // a CRD (monitoring.coreos.com): checked by the tests below instead
  }
  return module[object.kind] as new (data: unknown) => { validate(): void };
}

function validate(object: K8sObject): void {
  const Model = modelFor(object);
  if (!Model) throw new Error(`kubernetes-models has no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

function podSpecOf(workload: K8sObject): any {
  return workload.spec.template.spec;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  const objects = renderOverlay(overlay);

  it('renders with kustomize into objects that all validate against the Kubernetes schemas', () => {
    const checked = objects.filter((object) => object.apiVersion !== 'monitoring.coreos.com/v1');
    expect(checked.length).toBeGreaterThan(5);
    for (const object of checked) {
      expect(() => validate(object)).not.toThrow();
    }
  });

  it('gives every object the app.kubernetes.io/name label', () => {
    for (const object of objects) {
      expect({ [object.kind]: object.metadata.labels?.['app.kubernetes.io/name'] }).toEqual({
        [object.kind]: 'enterprise-service',
      });
    }
  });
});

describe('schema validation', () => {
  it('rejects a manifest with a wrong type, so the schema check above can fail', () => {
    const deployment = structuredClone(findObject(renderOverlay('prod'), 'Deployment'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validate(deployment)).toThrow(/containerPort must be integer/);
  });
});

describe.each(['prod', 'prod-statefulset'])('policy on the rendered %s overlay', (overlay) => {
  const objects = renderOverlay(overlay);
  const workload = objects.find((object) => WORKLOAD_KINDS.has(object.kind))!;
  const pod = podSpecOf(workload);
  const container = pod.containers[0];
  const podLabels: Record<string, string> = workload.spec.template.metadata.labels;
  const configMap = findObject(objects, 'ConfigMap');
  const config: Record<string, string> = configMap.data;
  const { env: contractEnv, endpoints } = contract();
  const setting = (name: string): number => Number(config[name] ?? contractEnv.get(name));

  it('runs 3 replicas of the service, selected by its own labels', () => {
    expect(workload.spec.replicas).toBe(3);
    expect(selects(workload.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(workload.spec.minReadySeconds).toBeGreaterThan(0);
  });

  it('probes startup, liveness and readiness on the paths of the contract, on a named port', () => {
    const probes = {
      startupProbe: '/health/startup',
      livenessProbe: '/health/liveness',
      readinessProbe: '/health/readiness',
    };
    const portNames = container.ports.map((port: { name: string }) => port.name);
    for (const [probe, path] of Object.entries(probes)) {
      expect(endpoints).toContain(`GET ${path}`);
      expect(container[probe].httpGet.path).toBe(path);
      expect(portNames).toContain(container[probe].httpGet.port);
    }
  });

  it('names every container port, and the http port is the PORT the service listens on', () => {
    for (const port of container.ports) expect(port.name).toMatch(/^[a-z][a-z0-9-]{0,14}$/);
    const http = container.ports.find((port: { name: string }) => port.name === 'http');
    expect(http.containerPort).toBe(setting('PORT'));
  });

  it('gives a grace period longer than preStop + SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS', () => {
    const preStopSeconds = container.lifecycle.preStop.sleep.seconds as number;
    expect(preStopSeconds).toBeGreaterThan(0);
    const needed = preStopSeconds + (setting('SHUTDOWN_DRAIN_DELAY_MS') + setting('SHUTDOWN_TIMEOUT_MS')) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(needed);
  });

  it('sets requests and limits, with the V8 old space well below the memory limit', () => {
    for (const kind of ['requests', 'limits']) {
      expect(container.resources[kind]).toEqual(
        expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
      );
    }
    const nodeOptions = container.env.find((entry: { name: string }) => entry.name === 'NODE_OPTIONS')?.value;
    const limitMiB = memoryMiB(container.resources.limits.memory);
    expect(maxOldSpaceMiB(nodeOptions)).toBeLessThanOrEqual(limitMiB * 0.8);
  });

  it('spreads pods across zones and nodes', () => {
    const constraints = pod.topologySpreadConstraints as Array<{ topologyKey: string; labelSelector: any }>;
    expect(constraints.map((constraint) => constraint.topologyKey).sort()).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const constraint of constraints) expect(selects(constraint.labelSelector.matchLabels, podLabels)).toBe(true);
  });

  it('meets Pod Security Standards "restricted", with a read-only root filesystem and /tmp on an emptyDir', () => {
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.hostIPC ?? false).toBe(false);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    for (const volume of pod.volumes ?? []) expect(Object.keys(volume)).not.toContain('hostPath');
    for (const each of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const security = each.securityContext;
      expect(security.allowPrivilegeEscalation).toBe(false);
      expect(security.privileged ?? false).toBe(false);
      expect(security.capabilities.drop).toContain('ALL');
      expect(security.capabilities.add ?? []).toEqual([]);
      expect(security.runAsUser ?? pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(security.readOnlyRootFilesystem).toBe(true);
    }
    const tmp = container.volumeMounts.find((mount: { mountPath: string }) => mount.mountPath === '/tmp');
    expect(pod.volumes.find((volume: { name: string }) => volume.name === tmp.name).emptyDir).toBeDefined();
  });

  it('mounts no service account token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(findObject(objects, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken).toBe(false);
  });

  it('reads configuration from the ConfigMap and MONGODB_URI and REDIS_URL from a Secret that is not in git', () => {
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    for (const name of ['MONGODB_URI', 'REDIS_URL']) {
      const entry = container.env.find((each: { name: string }) => each.name === name);
      expect(entry.valueFrom.secretKeyRef).toEqual({ name: 'enterprise-service-secrets', key: name });
    }
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('sets only environment variables the service reads', () => {
    const read = serviceEnvNames();
    const names = [...Object.keys(config), ...container.env.map((entry: { name: string }) => entry.name)];
    const unknown = names.filter((name) => !read.has(name) && !NODE_RUNTIME_ENV.has(name));
    expect(unknown).toEqual([]);
  });

  it('keeps METRICS_PREFIX equal to the prefix the alert rules and dashboard query', () => {
    expect(config.METRICS_PREFIX ?? contractEnv.get('METRICS_PREFIX')).toBe('enterprise_service_');
  });

  it('pins the image to a version', () => {
    expect(container.image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$|@sha256:[0-9a-f]{64}$/);
  });

  it('exposes the http port through a Service that selects the pods', () => {
    const service = findObject(objects, 'Service', 'enterprise-service');
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
  });

  it('autoscales 3 to 10 pods on CPU 70 % and memory 80 % (autoscaling/v2)', () => {
    const hpa = findObject(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: workload.kind,
      name: workload.metadata.name,
    });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 10]);
    const targets = Object.fromEntries(
      hpa.spec.metrics.map((metric: any) => [metric.resource.name, metric.resource.target.averageUtilization]),
    );
    expect(targets).toEqual({ cpu: 70, memory: 80 });
  });

  it('keeps 2 pods through voluntary disruptions, but lets unhealthy pods be evicted', () => {
    const pdb = findObject(objects, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it('allows ingress to the http port only, and egress to MongoDB, Redis, DNS and the upstream only', () => {
    const policy = findObject(objects, 'NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(policy.spec.ingress.flatMap((rule: any) => rule.ports)).toEqual([{ port: 'http', protocol: 'TCP' }]);
    for (const rule of policy.spec.egress) expect(rule.to?.length).toBeGreaterThan(0); // no allow-all rule
    const egressPorts = policy.spec.egress.flatMap((rule: any) =>
      rule.ports.map((port: any) => `${port.port}/${port.protocol}`),
    );
    const upstreamPort = new URL(config.UPSTREAM_URL).port || '80';
    expect(egressPorts.sort()).toEqual(['27017/TCP', '53/TCP', '53/UDP', '6379/TCP', `${upstreamPort}/TCP`].sort());
  });

  it('is scraped by a ServiceMonitor on the metrics path of the contract, as job "enterprise-service"', () => {
    const monitor = findObject(objects, 'ServiceMonitor');
    const service = findObject(objects, 'Service', 'enterprise-service');
    const scraped = objects.filter(
      (object) => object.kind === 'Service' && selects(monitor.spec.selector.matchLabels, object.metadata.labels ?? {}),
    );
    expect(scraped.map((object) => object.metadata.name)).toEqual(['enterprise-service']); // each pod scraped once
    expect(endpoints).toContain(`GET ${monitor.spec.endpoints[0].path}`);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    expect(service.spec.ports.map((port: { name: string }) => port.name)).toContain(monitor.spec.endpoints[0].port);
    expect(service.metadata.labels?.[monitor.spec.jobLabel]).toBe('enterprise-service');
  });

  it('carries the PrometheusRule generated from monitoring/prometheus-alerts.yaml, valid for promtool', () => {
    const rule = findObject(objects, 'PrometheusRule');
    expect(rule.spec.groups).toEqual(readYaml('monitoring/prometheus-alerts.yaml').groups);
    const promtool = tool('promtool', 'apt-get install prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'prometheusrule-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), yaml.dump({ groups: rule.spec.groups }));
      runOk(promtool, ['check', 'rules', join(dir, 'rules.yaml')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the StatefulSet variant', () => {
  const objects = renderOverlay('prod-statefulset');
  const statefulSet = findObject(objects, 'StatefulSet');
  const deployment = findObject(renderOverlay('prod'), 'Deployment');

  it('replaces the Deployment and takes TSID_NODE_ID from the pod ordinal', () => {
    expect(objects.filter((object) => object.kind === 'Deployment')).toEqual([]);
    const nodeId = statefulSet.spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === 'TSID_NODE_ID',
    );
    expect(nodeId.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['apps.kubernetes.io/pod-index']");
    expect(serviceEnvNames()).toContain('TSID_NODE_ID');
  });

  it('runs the same pod as the Deployment apart from the node ID', () => {
    const pod = structuredClone(statefulSet.spec.template);
    pod.spec.containers[0].env = pod.spec.containers[0].env.filter((e: { name: string }) => e.name !== 'TSID_NODE_ID');
    expect(pod).toEqual(deployment.spec.template);
  });

  it('is governed by a headless Service that exists', () => {
    const headless = findObject(objects, 'Service', statefulSet.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
  });
});

describe('k8s/base/prometheusrule.yaml', () => {
  it('is up to date with monitoring/prometheus-alerts.yaml (node k8s/generate-prometheus-rule.js)', () => {
    const result = run(process.execPath, [join(ROOT, 'k8s', 'generate-prometheus-rule.js'), '--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
