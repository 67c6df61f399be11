#!/usr/bin/env node
// Writes k8s/base/prometheusrule.yaml (a prometheus-operator PrometheusRule) from monitoring/prometheus-alerts.yaml,
// so Kubernetes and the compose stack run the same rules. `--check` changes nothing and exits 1 when the
// committed file is stale (CI runs it through test/deploy/kubernetes.e2e-spec.ts).
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const yaml = require('js-yaml');

const root = join(__dirname, '..');
const source = join(root, 'monitoring', 'prometheus-alerts.yaml');
const target = join(__dirname, 'base', 'prometheusrule.yaml');

function render() {
  const { groups } = yaml.load(readFileSync(source, 'utf8'));
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'enterprise-service' },
    spec: { groups },
  };
  const header =
    `# GENERATED from ${relative(root, source)} by ${relative(root, __filename)}: edit the source, then run\n` +
    `# \`node ${relative(root, __filename)}\`. CI fails when this file is stale.\n`;
  return header + yaml.dump(rule, { lineWidth: -1, noRefs: true });
}

const expected = render();
if (process.argv.includes('--check')) {
  const actual = readFileSync(target, 'utf8');
  if (actual !== expected) {
    console.error(`${relative(root, target)} is stale: run \`node ${relative(root, __filename)}\` and commit it.`);
    process.exit(1);
  }
} else {
  writeFileSync(target, expected);
}
