import type { Registry } from 'prom-client';

export interface MetricViewValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  /** For histogram and summary lines: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  readonly metricName?: string;
}

export interface MetricViewDefinition {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary';
  readonly labelNames: readonly string[];
  /** Computes the current values; called once per scrape. */
  readonly values: () => MetricViewValue[];
}

/**
 * A read-only metric that a prom-client registry renders like its own, backed by state kept elsewhere and read
 * at scrape time. For metrics whose write path must not go through prom-client's per-call label hashing.
 */
export class MetricView {
  readonly name: string;
  readonly help: string;
  readonly type: MetricViewDefinition['type'];
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  private readonly values: () => MetricViewValue[];

  constructor(registry: Registry, definition: MetricViewDefinition) {
    ({
      name: this.name,
      help: this.help,
      type: this.type,
      labelNames: this.labelNames,
      values: this.values,
    } = definition);
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricViewValue[] }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    });
  }

  /** The state belongs to the owner of the view; a registry reset leaves it alone. */
  reset(): void {}
}
